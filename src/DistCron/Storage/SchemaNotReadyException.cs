namespace DistCron.Storage;

/// <summary>
/// The database holds no DistCron schema, or an older one than this code needs, and the node may not change it
/// (<c>AutoMigrate = false</c>). Not an outage: retrying changes nothing until someone applies the schema, so the
/// message names the version found, the version needed and exactly what to apply (<see cref="SchemaAdvice"/>).
/// </summary>
internal sealed class SchemaNotReadyException(string message) : InvalidOperationException(message)
{
}

/// <summary>The text of <see cref="SchemaNotReadyException"/>, per store: what the database has and what to apply.</summary>
internal static class SchemaAdvice
{
    private const string Otherwise = "or set AutoMigrate = true on one node. Start-up is retried until the schema is current.";

    public static string Postgres(string schema, int found, int needed) => found < 1
        ? $"The PostgreSQL database has no DistCron schema '{schema}' (no {schema}.schema_version table); this DistCron needs " +
          $"schema version {needed}, and AutoMigrate is false. Apply the DDL that 'distcron sql --schema {schema}' prints " +
          $"(e.g. piped to psql, as a role that may create the schema), {Otherwise}"
        : $"The DistCron PostgreSQL schema '{schema}' is at version {found}; this DistCron needs version {needed}, and " +
          $"AutoMigrate is false. Apply the DDL that 'distcron sql --schema {schema}' prints (e.g. piped to psql; every " +
          $"statement adds only what is missing, so it applies migrations {found + 1}-{needed}), {Otherwise}";

    public static string Sqlite(int found, int needed, Func<int, string> upgradeFrom) => found < 1
        ? $"The SQLite database file has no DistCron schema; this DistCron needs schema version {needed}, and AutoMigrate " +
          $"is false. Apply the DDL that 'distcron sql --store sqlite' prints (e.g. piped to sqlite3 with the file), {Otherwise}"
        : $"The DistCron SQLite schema is at version {found}; this DistCron needs version {needed}, and AutoMigrate is " +
          $"false. Apply to the file (e.g. with sqlite3): {upgradeFrom(found)} {Otherwise}";
}
