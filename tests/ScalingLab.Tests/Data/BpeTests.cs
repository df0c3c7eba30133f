using System.Text;
using System.Text.RegularExpressions;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Tensors;

namespace ScalingLab.Tests.Data;

public class BpeTests
{
    [Fact]
    public void TrainerReproducesHandCheckedMerges()
    {
        // Pieces: "hug", " hug"×2, " pug", " pun", " bun", " hugs". Pair counts by hand: ug 5, hu 4, ' 'h 3 ...
        // 1. (u,g)=5   2. (h,ug)=4   3. (' ',hug)=3   4. tie at 2 between (' ',p) and (u,n): smaller ids first
        // → (' ',p), then 5. (u,n); every other pair occurs once, so training stops there.
        var tok = BpeTrainer.Train(["hug hug hug pug pun bun hugs"], 1000, threads: 1);
        Assert.Equal([("u", "g"), ("h", "ug"), ("Ġ", "hug"), ("Ġ", "p"), ("u", "n")], tok.Merges.ToArray());
        Assert.Equal(256 + 5 + 1, tok.VocabSize);
        Assert.Equal(tok.VocabSize - 1, tok.EndOfTextId);
        // " hugs" → ' ' h [ug] s → ' ' [hug] s → [ hug] s;  " pun" → [ p] u n → [ p][un].
        Assert.Equal([258, 's', 259, 260], tok.Encode(" hugs pun"));
        Assert.Equal([258, 's', 259, 260], tok.Encode(" hugs pun"));  // again, from the cache
    }

    [Fact]
    public void TrainingDoesNotDependOnThreads()
    {
        var docs = RandomText(new Rng(11), 300, 200).ToList();
        var a = BpeTrainer.Train(docs, 600, threads: 1);
        var b = BpeTrainer.Train(docs, 600, threads: 2);
        Assert.Equal(a.Merges.ToArray(), b.Merges.ToArray());
        Assert.Equal(TokenizerFile.ToJson(a), TokenizerFile.ToJson(b));
    }

    [Fact]
    public void VocabularyBelow257IsAUserError()
    {
        var e = Assert.Throws<UserError>(() => BpeTrainer.Train(["abc"], 200));
        Assert.Contains("too small", e.Message);
        Assert.Throws<UserError>(() => BpeTrainer.Train([""], 300));
    }

    [Fact]
    public void Gpt2FormatFilesGiveGpt2Ids()
    {
        // A GPT-2-format pair built as OpenAI's encoder.py orders it: the 256 byte tokens in bytes_to_unicode
        // order, then the first seven merges of GPT-2's merges.txt. In the real GPT-2 vocabulary "!" is 0,
        // "\n" ('Ċ') is 198, " " ('Ġ') is 220 and " the" is 262; those ids must come out.
        var printable = Enumerable.Range(0, 256).Where(b => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE)).ToList();
        var order = printable.Concat(Enumerable.Range(0, 256).Except(printable)).ToList();
        var vocab = new List<string>();
        int shifted = 0;
        foreach (int b in order) vocab.Add(printable.Contains(b) ? ((char)b).ToString() : ((char)(256 + shifted++)).ToString());
        string[] merges = ["Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he"];
        vocab.AddRange(["Ġt", "Ġa", "he", "in", "re", "on", "Ġthe", "<|endoftext|>"]);
        var dir = Directory.CreateTempSubdirectory().FullName;
        var json = new StringBuilder("{");
        for (int i = 0; i < vocab.Count; i++) json.Append(i == 0 ? "" : ",").Append(System.Text.Json.JsonSerializer.Serialize(vocab[i])).Append(':').Append(i);
        json.Append('}');
        File.WriteAllText(Path.Combine(dir, "vocab.json"), json.ToString());
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n");

        var tok = TokenizerFile.LoadGpt2(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"));
        Assert.Equal(264, tok.VocabSize);
        Assert.Equal(263, tok.EndOfTextId);
        Assert.Equal([0], tok.Encode("!"));
        Assert.Equal([198], tok.Encode("\n"));
        Assert.Equal([262, 220, 259, 220, 258, 0], tok.Encode(" the in he!"));
        Assert.Equal(" the in he!", tok.Decode([262, 220, 259, 220, 258, 0]));
        Assert.Equal("a<|endoftext|>b", tok.Decode([tok.Encode("a")[0], 263, tok.Encode("b")[0]]));

        // Saved as one tokenizer.json and loaded back: the same ids.
        string p = Path.Combine(dir, "tokenizer.json");
        TokenizerFile.Save(tok, p);
        var re = (BpeTokenizer)TokenizerFile.Load(p);
        Assert.Equal(tok.Encode(" the in he!"), re.Encode(" the in he!"));
    }

    [Fact]
    public void PreTokenizerMatchesTheGpt2RegexOnBmpText()
    {
        // The reference is the GPT-2 pattern itself run by .NET's regex engine; on BMP text without
        // surrogates its classes are the scanner's classes.
        var gpt2 = new Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant);
        Assert.Equal(["Hello", " world", "'s", " ", " test", "\n\n", " 123", "!!"], Gpt2PreTokenizer.Split("Hello world's  test\n\n 123!!"));
        const string alphabet = "  \n\t\r'stmdrevlST aZ09éß漢字٣①.,!?-_\u00A0\u2003\u0301\u0000";
        var rng = new Rng(5);
        for (int n = 0; n < 3000; n++)
        {
            var sb = new StringBuilder();
            int len = rng.NextInt(14);
            for (int i = 0; i < len; i++) sb.Append(alphabet[rng.NextInt(alphabet.Length)]);
            string s = sb.ToString();
            var expected = gpt2.Matches(s).Select(m => m.Value).ToList();
            Assert.Equal(expected, Gpt2PreTokenizer.Split(s));
        }
    }

    [Fact]
    public void EncodingMatchesANaiveGpt2Reference()
    {
        var rng = new Rng(21);
        var docs = RandomText(rng, 200, 300).ToList();
        var tok = BpeTrainer.Train(docs, 800, threads: 2);
        var ranks = tok.Merges.Select((m, r) => (m, r)).ToDictionary(x => x.m, x => x.r);
        var idOf = tok.Vocab.Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        foreach (string s in RandomText(new Rng(22), 100, 200))
        {
            var expected = new List<int>();
            foreach (string piece in Gpt2PreTokenizer.Split(s))
                foreach (string t in NaiveBpe(ByteLevel.Spell(Encoding.UTF8.GetBytes(piece)), ranks)) expected.Add(idOf[t]);
            Assert.Equal(expected, tok.Encode(s));
        }
    }

    /// <summary>encoder.py's bpe(): find the lowest-ranked bigram, merge all its occurrences left to right, repeat.</summary>
    private static List<string> NaiveBpe(string spelled, Dictionary<(string, string), int> ranks)
    {
        var word = spelled.Select(c => c.ToString()).ToList();
        while (word.Count > 1)
        {
            var pairs = Enumerable.Range(0, word.Count - 1).Select(i => (word[i], word[i + 1])).Where(ranks.ContainsKey).ToList();
            if (pairs.Count == 0) break;
            var best = pairs.MinBy(p => ranks[p]);
            var next = new List<string>();
            for (int i = 0; i < word.Count; i++)
            {
                if (i + 1 < word.Count && (word[i], word[i + 1]) == best) { next.Add(best.Item1 + best.Item2); i++; }
                else next.Add(word[i]);
            }
            word = next;
        }
        return word;
    }

    [Fact]
    public void RoundTripHoldsForTenThousandRandomAndAdversarialStrings()
    {
        var tok = BpeTrainer.Train(RandomText(new Rng(1), 300, 300).Concat(["😀😀 漢字漢字 éé \uD800\uD800 \t\t"]).ToList(), 700, threads: 2);
        var rng = new Rng(99);
        int cases = 0;
        foreach (string s in Adversarial())
        {
            Assert.Equal(s, tok.Decode(tok.Encode(s)));
            cases++;
        }
        for (int n = 0; n < 10_000; n++)
        {
            string s = RandomString(ref rng);
            int[] ids = tok.Encode(s);
            Assert.Equal(s, tok.Decode(ids));
            if (!HasLoneSurrogate(s)) Assert.Equal(Encoding.UTF8.GetBytes(s), Wtf8.GetBytes(s)); // WTF-8 is UTF-8 on valid text
            cases++;
        }
        Assert.True(cases >= 10_000);
    }

    [Fact]
    public void Wtf8KeepsLoneSurrogatesAndReplacesBadBytes()
    {
        Assert.Equal([0xED, 0xA0, 0x80], Wtf8.GetBytes("\uD800"));
        Assert.Equal([0xF0, 0x9F, 0x98, 0x80], Wtf8.GetBytes("😀"));
        Assert.Equal("\uDC00\uD800", Wtf8.Decode(Wtf8.GetBytes("\uDC00\uD800")));
        Assert.Equal("a\uFFFDb", Wtf8.Decode([(byte)'a', 0xFF, (byte)'b']));
        Assert.Equal("\uFFFD\uFFFD", Wtf8.Decode([0xC0, 0x80])); // overlong: not a character
    }

    private static IEnumerable<string> Adversarial() =>
    [
        "", " ", "  ", "\n", "\r\n", "\t \t", "'", "'s", "''s", "'S", " 's", "don't", "I'LL", "a'll've",
        "\uD800", "\uDFFF", "\uDC00\uD800", "\uD800\uD800\uDC00", "a\uD83D", "\uDE00b", "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈",
        "漢字", "日本語のテキスト", "한국어", "𠀀𠀁", "\0", "\u0001\u001F\u007F", "\u0085\u00A0\u2028\u2029\u3000",
        "é", "e\u0301", "\uFEFF", "\uFFFD", "\uFFFF", "<|endoftext|>", new string(' ', 1000), new string('a', 5000),
        string.Concat(Enumerable.Repeat("😀", 300)), string.Concat(Enumerable.Repeat("\uD800", 200)),
    ];

    private static bool HasLoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }

    /// <summary>Strings mixing ASCII words, whitespace runs, contractions, controls, CJK, emoji and raw code units.</summary>
    private static string RandomString(ref Rng rng)
    {
        string[] words = ["the", " cat", "'s", "'ll", " don't", "  ", "\n\n", "\t", "42", " 3.14", "!!", "é", "漢字", "😀", "👍🏽", " ", "\r\n"];
        var sb = new StringBuilder();
        int parts = rng.NextInt(12);
        for (int i = 0; i < parts; i++)
        {
            switch (rng.NextInt(5))
            {
                case 0: sb.Append(words[rng.NextInt(words.Length)]); break;
                case 1: sb.Append((char)rng.NextInt(65536)); break;                         // any code unit, lone surrogates included
                case 2: sb.Append(char.ConvertFromUtf32(0x10000 + rng.NextInt(0x100000))); break; // astral code point
                case 3: sb.Append((char)rng.NextInt(0x80)); break;                           // ASCII incl. controls
                default: sb.Append((char)(0x4E00 + rng.NextInt(0x5000))); break;            // CJK
            }
        }
        return sb.ToString();
    }

    internal static IEnumerable<string> RandomText(Rng rng, int docs, int words)
    {
        string[] lexicon = ["the", "cat", "sat", "on", "mat", "dog", "ran", "hugs", "pun", "bun", "it's", "don't", "42",
            "zürich", "漢字", "😀", "a", "an", "tree", "trees", "walked", "walking", "!", ",", "."];
        for (int d = 0; d < docs; d++)
        {
            var sb = new StringBuilder();
            int n = 1 + rng.NextInt(words);
            for (int i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(rng.NextInt(10) == 0 ? "\n" : " ");
                sb.Append(lexicon[rng.NextInt(lexicon.Length)]);
            }
            yield return sb.ToString();
        }
    }
}
