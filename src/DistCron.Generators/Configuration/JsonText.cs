using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace DistCron.Generators.Configuration
{
    /// <summary>What a <see cref="JsonNode"/> is.</summary>
    internal enum JsonKind
    {
        Object,
        Array,
        String,
        Number,
        True,
        False,
        Null,
    }

    /// <summary>One JSON value with where it is written (character offsets into the file's text).</summary>
    internal sealed class JsonNode
    {
        public JsonNode(JsonKind kind, int start)
        {
            Kind = kind;
            Start = start;
        }

        public JsonKind Kind { get; }

        public int Start { get; }

        /// <summary>One past the last character of the value (the closing quote or brace included).</summary>
        public int End { get; set; }

        /// <summary>A string's unescaped text, a number's text as written; null for the other kinds.</summary>
        public string? Text { get; set; }

        /// <summary>An object's properties, in file order.</summary>
        public List<JsonProperty> Properties { get; } = new List<JsonProperty>();

        /// <summary>An array's items.</summary>
        public List<JsonNode> Items { get; } = new List<JsonNode>();

        /// <summary>
        /// The value as .NET's JSON configuration provider stores it: a string's text, a number as written,
        /// "True"/"False", "" for null; null for an object or array (a section).
        /// </summary>
        public string? ConfigurationValue => Kind switch
        {
            JsonKind.String or JsonKind.Number => Text,
            JsonKind.True => "True",
            JsonKind.False => "False",
            JsonKind.Null => string.Empty,
            _ => null,
        };

        /// <summary>An object or array with something in it: a configuration section (an empty one is an empty value).</summary>
        public bool IsSection => (Kind == JsonKind.Object && Properties.Count > 0) || (Kind == JsonKind.Array && Items.Count > 0);
    }

    /// <summary>One <c>"key": value</c> of an object.</summary>
    internal sealed class JsonProperty
    {
        public JsonProperty(string name, int nameStart, int nameEnd, JsonNode value)
        {
            Name = name;
            NameStart = nameStart;
            NameEnd = nameEnd;
            Value = value;
        }

        public string Name { get; }

        /// <summary>Offset of the name's opening quote.</summary>
        public int NameStart { get; }

        /// <summary>One past the name's closing quote.</summary>
        public int NameEnd { get; }

        public JsonNode Value { get; }
    }

    /// <summary>
    /// A small JSON reader for appsettings files that keeps where each value is written, so a diagnostic can point at
    /// it. It accepts what .NET's JSON configuration provider accepts (System.Text.Json with comments skipped and
    /// trailing commas allowed) and nothing the analyzer needs more: netstandard2.0 analyzers cannot count on
    /// System.Text.Json being loadable next to every compiler. Text it cannot read gives null: the file is then not
    /// checked, and the app's start reports the JSON error as it always does.
    /// </summary>
    internal sealed class JsonText
    {
        private readonly string _text;
        private int _position;

        private JsonText(string text)
        {
            _text = text;
        }

        /// <summary>The document's root value, or null when the text is not JSON the configuration provider would read.</summary>
        public static JsonNode? Parse(string text)
        {
            var reader = new JsonText(text);
            // A UTF-8 byte order mark survives as U+FEFF when the text was read without decoding it away.
            if (text.Length > 0 && text[0] == '\uFEFF') reader._position = 1;
            if (!reader.SkipTrivia()) return null;
            var root = reader.Value(depth: 0);
            if (root == null || !reader.SkipTrivia() || reader._position != text.Length) return null;
            return root;
        }

        // Deep enough for any settings file, shallow enough that a hostile file cannot overflow the stack.
        private const int MaxDepth = 64;

        private JsonNode? Value(int depth)
        {
            if (_position >= _text.Length || depth > MaxDepth) return null;
            var c = _text[_position];
            switch (c)
            {
                case '{': return Object(depth);
                case '[': return Array(depth);
                case '"': return String();
                case 't': return Literal("true", JsonKind.True);
                case 'f': return Literal("false", JsonKind.False);
                case 'n': return Literal("null", JsonKind.Null);
                default: return c == '-' || (c >= '0' && c <= '9') ? Number() : null;
            }
        }

        private JsonNode? Object(int depth)
        {
            var node = new JsonNode(JsonKind.Object, _position);
            _position++;
            while (true)
            {
                if (!SkipTrivia()) return null;
                if (_position < _text.Length && _text[_position] == '}') break;
                if (_position >= _text.Length || _text[_position] != '"') return null;
                var nameStart = _position;
                var name = String();
                if (name == null || !SkipTrivia() || _position >= _text.Length || _text[_position] != ':') return null;
                var nameEnd = name.End;
                _position++;
                if (!SkipTrivia()) return null;
                var value = Value(depth + 1);
                if (value == null) return null;
                node.Properties.Add(new JsonProperty(name.Text!, nameStart, nameEnd, value));
                if (!SkipTrivia() || _position >= _text.Length) return null;
                if (_text[_position] == ',')
                {
                    _position++;
                    continue;
                }

                if (_text[_position] != '}') return null;
                break;
            }

            _position++;
            node.End = _position;
            return node;
        }

        private JsonNode? Array(int depth)
        {
            var node = new JsonNode(JsonKind.Array, _position);
            _position++;
            while (true)
            {
                if (!SkipTrivia()) return null;
                if (_position < _text.Length && _text[_position] == ']') break;
                var item = Value(depth + 1);
                if (item == null) return null;
                node.Items.Add(item);
                if (!SkipTrivia() || _position >= _text.Length) return null;
                if (_text[_position] == ',')
                {
                    _position++;
                    continue;
                }

                if (_text[_position] != ']') return null;
                break;
            }

            _position++;
            node.End = _position;
            return node;
        }

        private JsonNode? String()
        {
            var node = new JsonNode(JsonKind.String, _position);
            _position++;
            var builder = new StringBuilder();
            while (_position < _text.Length)
            {
                var c = _text[_position++];
                if (c == '"')
                {
                    node.Text = builder.ToString();
                    node.End = _position;
                    return node;
                }

                // JSON forbids raw control characters in strings; System.Text.Json refuses them too.
                if (c < ' ') return null;
                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                if (_position >= _text.Length) return null;
                var escape = _text[_position++];
                switch (escape)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_position + 4 > _text.Length
                            || !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            return null;
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default: return null;
                }
            }

            return null;
        }

        private JsonNode? Number()
        {
            var node = new JsonNode(JsonKind.Number, _position);
            var start = _position;
            if (_text[_position] == '-') _position++;
            if (!Digits()) return null;
            if (_position < _text.Length && _text[_position] == '.')
            {
                _position++;
                if (!Digits()) return null;
            }

            if (_position < _text.Length && (_text[_position] == 'e' || _text[_position] == 'E'))
            {
                _position++;
                if (_position < _text.Length && (_text[_position] == '+' || _text[_position] == '-')) _position++;
                if (!Digits()) return null;
            }

            node.Text = _text.Substring(start, _position - start);
            node.End = _position;
            return node;
        }

        private bool Digits()
        {
            var start = _position;
            while (_position < _text.Length && _text[_position] >= '0' && _text[_position] <= '9') _position++;
            return _position > start;
        }

        private JsonNode? Literal(string word, JsonKind kind)
        {
            if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0) return null;
            var node = new JsonNode(kind, _position);
            _position += word.Length;
            node.End = _position;
            return node;
        }

        // Whitespace and comments (// to the end of the line, /* ... */); false on an unterminated comment.
        private bool SkipTrivia()
        {
            while (_position < _text.Length)
            {
                var c = _text[_position];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                {
                    _position++;
                }
                else if (c == '/' && _position + 1 < _text.Length && _text[_position + 1] == '/')
                {
                    while (_position < _text.Length && _text[_position] != '\n') _position++;
                }
                else if (c == '/' && _position + 1 < _text.Length && _text[_position + 1] == '*')
                {
                    var end = _text.IndexOf("*/", _position + 2, System.StringComparison.Ordinal);
                    if (end < 0) return false;
                    _position = end + 2;
                }
                else
                {
                    return true;
                }
            }

            return true;
        }
    }
}
