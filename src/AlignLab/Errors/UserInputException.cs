namespace AlignLab.Errors;

/// <summary>
/// Bad input from the user of the library or the command line: an unknown id, an out-of-range value, an
/// option that does not apply. Its message is one line that says where and what (with "did you mean"
/// suggestions where there are close names). The command line maps it to exit code 2; any other exception
/// is treated as an internal error.
/// </summary>
public class UserInputException : Exception
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public UserInputException(string message)
        : base(Printable(message))
    {
    }

    /// <summary>Creates the exception with its one-line message and the error behind it.</summary>
    public UserInputException(string message, Exception inner)
        : base(Printable(message), inner)
    {
    }

    /// <summary>Creates the exception with a generic message (kept for the analyzers).</summary>
    public UserInputException()
        : this("invalid input")
    {
    }

    /// <summary>
    /// <paramref name="text"/> with every control character (ESC, newlines, C1 codes...) written as
    /// <c>\uXXXX</c>, so that user input echoed in a message cannot drive the terminal or split the line.
    /// </summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var result = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                result.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
