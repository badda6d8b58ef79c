namespace AlignLab.Tests.Support;

/// <summary>Paths inside the repository, from the test binaries.</summary>
internal static class Repo
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AlignLab.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("The repository root (AlignLab.slnx) was not found above the test binaries.");
        }
    }
}
