// The tests drive real git, FUSE and sshd: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
