namespace Clive;

/// <summary>Who a change is recorded as: for local access, the machine's user.</summary>
public static class Identity
{
    public static string LocalUser => "local:" + Environment.UserName;
}
