package org.replkit.server.standby;

import java.util.Locale;

/**
 * The choice between catchup and a full copy (seed 003: a full copy is used when "catchup is expected to
 * take longer than copying the current data files"): catchup replays {@code records} change-log records
 * at the measured apply rate; a copy moves {@code rows} table rows at the measured copy rate plus a
 * measured cost per table (drop, create, indexes). Rates are measured by earlier catchups and copies of
 * this pair and kept in the primary's rk_meta; until then the defaults below stand in, and the answer
 * says which numbers were measured.
 */
record Estimate(long transactions, long records, double applyRate, boolean applyMeasured, int tables, long rows, double copyRate,
                double tableSeconds, boolean copyMeasured)
{
   /** Records per second a secondary applies, until measured. */
   static final double DEFAULT_APPLY_RATE = 20_000;
   /** Rows per second a full copy moves, until measured. */
   static final double DEFAULT_COPY_RATE = 50_000;
   /** Seconds a full copy spends per table on DDL, until measured. */
   static final double DEFAULT_TABLE_SECONDS = 0.05;

   double catchupSeconds()
   {
      return records / applyRate;
   }

   double copySeconds()
   {
      return tables * tableSeconds + rows / copyRate;
   }

   boolean copyFaster()
   {
      return copySeconds() < catchupSeconds();
   }

   String describe()
   {
      return String.format(Locale.ROOT, "Estimate: catchup of %,d transactions (%,d records) at %,.0f records/s (%s) = %.2f s;"
                                        + " full copy of %d tables (~%,d rows) at %,.0f rows/s + %.3f s per table (%s) = %.2f s: %s chosen.",
                           transactions, records, applyRate, applyMeasured ? "measured" : "default", catchupSeconds(), tables, rows, copyRate,
                           tableSeconds, copyMeasured ? "measured" : "default", copySeconds(), copyFaster() ? "full copy" : "catchup");
   }
}
