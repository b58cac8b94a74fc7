namespace DistCron;

/// <summary>How a schedule's fields are read; told apart by the number of fields.</summary>
public enum CronFormat
{
    /// <summary>Five fields: minute hour day-of-month month day-of-week (minute precision), or a macro.</summary>
    Standard = 0,

    /// <summary>Six fields with seconds first: second minute hour day-of-month month day-of-week.</summary>
    IncludeSeconds = 1,
}
