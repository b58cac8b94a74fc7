namespace DistCron.Generators
{
    /// <summary>
    /// Keys of the fix data a diagnostic carries in its Properties, read by DistCron.CodeFixes (which compiles this
    /// file too). A fix never re-derives anything from the message: the analyzer, which ran the shared rules, says
    /// exactly what to write.
    /// </summary>
    internal static class FixProperties
    {
        /// <summary>
        /// ReplacePrefix + n (n = 0, 1, ...): the new text of the string literal the diagnostic is reported on; the
        /// code fix offers one action per n, titled by the value of TitlePrefix + n.
        /// </summary>
        public const string ReplacePrefix = "DistCron.Replace.";

        /// <summary>TitlePrefix + n: what the n-th replacement does, shown in the light-bulb menu.</summary>
        public const string TitlePrefix = "DistCron.Title.";

        /// <summary>A job name to add as <c>Name = "..."</c> to the attribute, which is the diagnostic's first additional location.</summary>
        public const string AddName = "DistCron.AddName";
    }
}
