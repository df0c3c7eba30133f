namespace ScalingLab.Data;

/// <summary>
/// GPT-2's byte ↔ printable-character map (Radford et al. 2019, `bytes_to_unicode` in OpenAI's encoder.py):
/// the 188 printable Latin-1 bytes ('!'–'~', '¡'–'¬', '®'–'ÿ') stand for themselves, the other 68 bytes
/// are shifted to U+0100.. in byte order. vocab.json and merges.txt spell tokens in these characters
/// (a space is 'Ġ', a newline 'Ċ').
/// </summary>
public static class ByteLevel
{
    /// <summary>Character that spells byte b.</summary>
    public static readonly char[] ByteToChar = BuildMap();

    private static readonly Dictionary<char, byte> CharToByteMap =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] BuildMap()
    {
        var map = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        return map;
    }

    /// <summary>The token spelling of <paramref name="bytes"/>.</summary>
    public static string Spell(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a token spelling stands for, or null when a character is outside the map.</summary>
    public static byte[]? Unspell(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByteMap.TryGetValue(token[i], out byte b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }
}
