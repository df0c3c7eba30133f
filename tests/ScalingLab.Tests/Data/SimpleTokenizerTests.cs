using ScalingLab.Common;
using ScalingLab.Data;

namespace ScalingLab.Tests.Data;

public class SimpleTokenizerTests
{
    [Fact]
    public void CharTokenizerRoundTripsItsAlphabetIncludingLoneSurrogates()
    {
        string text = "héllo 😀 \uD800x\uDC00\0\t漢字";
        var tok = CharTokenizer.Train([text]);
        Assert.Equal(text.Distinct().Count() + 1, tok.VocabSize);
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
        Assert.Equal("", tok.Decode(tok.Encode("")));
        var re = (CharTokenizer)TokenizerFile.Load(Save(tok));
        Assert.Equal(tok.Encode(text), re.Encode(text));
        Assert.Throws<UserError>(() => tok.Encode("Z"));
    }

    [Fact]
    public void WordTokenizerIdsAreSortedWordsAfterNewline()
    {
        var tok = WordTokenizer.Train(["the cat\tsat .", "a cat"]);
        Assert.Equal(["\n", ".", "a", "cat", "sat", "the"], tok.Words);
        string text = "the cat sat .\na cat\n";
        Assert.Equal([5, 3, 4, 1, 0, 2, 3, 0], tok.Encode(text));
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
        var re = (WordTokenizer)TokenizerFile.Load(Save(tok));
        Assert.Equal(tok.Words, re.Words);
        var e = Assert.Throws<UserError>(() => tok.Encode("the dog"));
        Assert.Contains("'dog'", e.Message);
    }

    private static string Save(ITokenizer tok)
    {
        string p = Path.Combine(Directory.CreateTempSubdirectory().FullName, "tokenizer.json");
        TokenizerFile.Save(tok, p);
        return p;
    }
}
