using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace DistCron.Dashboard.Html;

/// <summary>
/// Builds an HTML page from interpolated strings in which only the literal parts, written in this assembly's source,
/// reach the output as markup; every hole is HTML-encoded. Job names, error messages and exception texts come from
/// the database and can hold <c>&lt;script&gt;</c>: there is no method that writes a runtime string unencoded, so
/// forgetting to encode is not possible. Attribute values must sit inside double quotes in the literal, where the
/// encoded text (quotes included) cannot end them.
/// </summary>
internal sealed class HtmlBuilder
{
    private readonly StringBuilder _buffer = new(8 * 1024);

    /// <summary>Appends markup: the literal text as is, every interpolated value encoded.</summary>
    public void Add([InterpolatedStringHandlerArgument("")] ref Handler html)
    {
        // The handler wrote into the buffer already.
    }

    public override string ToString() => _buffer.ToString();

    private void Literal(string markup) => _buffer.Append(markup);

    private void Encoded(string? text)
    {
        // &lt; &gt; &amp; and both quotes (so a value cannot leave its quoted attribute); '+' in an offset stays readable.
        if (!string.IsNullOrEmpty(text)) _buffer.Append(WebUtility.HtmlEncode(text));
    }

    /// <summary>Writes literals as markup and encodes every hole.</summary>
    [InterpolatedStringHandler]
    public readonly ref struct Handler
    {
        private readonly HtmlBuilder _builder;

        public Handler(int literalLength, int formattedCount, HtmlBuilder builder)
        {
            _ = literalLength;
            _ = formattedCount;
            _builder = builder;
        }

        public void AppendLiteral(string markup) => _builder.Literal(markup);

        public void AppendFormatted(string? text) => _builder.Encoded(text);

        public void AppendFormatted<T>(T value) => _builder.Encoded(value switch
        {
            null => null,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        });
    }
}
