namespace OvStateful.Cli;

/// <summary>The user asked for something that cannot be done; the message says what is wrong and what is valid. Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
