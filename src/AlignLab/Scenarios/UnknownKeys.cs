namespace AlignLab.Scenarios;

/// <summary>
/// The one check for a key that a place does not accept: a mapping key in the file, a component's
/// <c>with:</c> argument, a <c>--set</c> parameter. The error it raises names the close keys
/// ("did you mean") through <see cref="Suggest"/>.
/// </summary>
internal static class UnknownKeys
{
    /// <summary>
    /// Throws the error that <paramref name="unknown"/> makes when <paramref name="key"/> is not in
    /// <paramref name="known"/>; <paramref name="unknown"/> receives the " (did you mean …?)" text,
    /// empty when no known key is close.
    /// </summary>
    public static void Reject(string key, IReadOnlyCollection<string> known, Func<string, ScenarioException> unknown)
    {
        if (!known.Contains(key))
        {
            throw unknown(Suggest.DidYouMean(key, known));
        }
    }
}
