using DistCron.Storage;

namespace DistCron.Tests.Storage;

/// <summary>The one rule for stored error text (<see cref="ErrorText"/>); the conformance suite checks each store applies it.</summary>
public sealed class ErrorTextTests
{
    // Cases with NUL and lone surrogates stay out of [InlineData]: test names travel to the runner as UTF-8 text.
    [Fact]
    public void Nul_and_lone_surrogates_become_the_replacement_character()
    {
        (string? Input, string? Expected)[] cases =
        [
            (null, null),
            ("", ""),
            ("plain text", "plain text"),
            ("a\0b", "a\uFFFDb"),
            ("\0\0", "\uFFFD\uFFFD"),
            ("lone high \uD800 here", "lone high \uFFFD here"),
            ("lone low \uDC00 here", "lone low \uFFFD here"),
            ("high at the end \uD800", "high at the end \uFFFD"),
            ("\uDC00\uD800", "\uFFFD\uFFFD"), // a low before a high is not a pair
            ("\uD800\uD83D\uDE00", "\uFFFD\uD83D\uDE00"), // a lone high right before a pair
            ("emoji \uD83D\uDE00 kept", "emoji \uD83D\uDE00 kept"),
        ];
        foreach (var (input, expected) in cases) Assert.Equal(expected, ErrorText.Message(input));
    }

    [Fact]
    public void Text_up_to_the_limit_is_kept_whole()
    {
        var text = new string('x', ErrorText.MaxMessageLength);
        Assert.Same(text, ErrorText.Message(text));
    }

    [Fact]
    public void Longer_text_is_cut_to_the_limit_and_ends_with_an_ellipsis()
    {
        var cut = ErrorText.Message(new string('x', ErrorText.MaxMessageLength + 1))!;
        Assert.Equal(ErrorText.MaxMessageLength, cut.Length);
        Assert.Equal(new string('x', ErrorText.MaxMessageLength - 1) + "…", cut);
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        // The pair's high half is the last character the cut would keep.
        var text = new string('x', ErrorText.MaxMessageLength - 2) + "\uD83D\uDE00" + "tail";
        var cut = ErrorText.Message(text)!;
        Assert.Equal(new string('x', ErrorText.MaxMessageLength - 2) + "…", cut);
        Assert.False(char.IsSurrogate(cut[^2]));
    }

    [Fact]
    public void A_pair_that_ends_just_before_the_cut_is_kept()
    {
        var text = new string('x', ErrorText.MaxMessageLength - 3) + "\uD83D\uDE00" + "tail";
        Assert.Equal(new string('x', ErrorText.MaxMessageLength - 3) + "\uD83D\uDE00…", ErrorText.Message(text));
    }

    [Fact]
    public void Cleaning_comes_before_the_cut_so_a_lone_surrogate_at_the_cut_is_kept_as_a_replacement()
    {
        var text = new string('x', ErrorText.MaxMessageLength - 2) + "\uD800" + "tail";
        Assert.Equal(new string('x', ErrorText.MaxMessageLength - 2) + "\uFFFD…", ErrorText.Message(text));
    }

    [Fact]
    public void Error_types_have_their_own_shorter_limit()
    {
        Assert.Equal(500, ErrorText.MaxTypeLength);
        Assert.Equal(new string('T', 499) + "…", ErrorText.Type(new string('T', 2_000)));
        Assert.Equal("Bad\uFFFDType", ErrorText.Type("Bad\0Type"));
    }

    [Fact]
    public void Last_error_is_the_message_or_else_the_type()
    {
        (string? Type, string? Message, string? Expected)[] cases =
        [
            ("System.IO.IOException", "disk full", "disk full"),
            ("System.IO.IOException", null, "System.IO.IOException"),
            ("System.IO.IOException", "", "System.IO.IOException"),
            ("System.IO.IOException", " \t\n", "System.IO.IOException"),
            (null, "disk full", "disk full"),
            (null, null, null),
            (null, "", ""),
            ("Bad\0Type", null, "Bad\uFFFDType"),
            ("T", "a\0b", "a\uFFFDb"),
        ];
        foreach (var (type, message, expected) in cases) Assert.Equal(expected, ErrorText.LastError(type, message));
    }

    [Fact]
    public void A_long_message_in_last_error_is_capped_like_the_message()
    {
        var message = new string('m', 10_000);
        Assert.Equal(ErrorText.Message(message), ErrorText.LastError("T", message));
        Assert.Equal(ErrorText.MaxMessageLength, ErrorText.LastError("T", message)!.Length);
    }
}
