package org.replkit.core.copy;

/**
 * Progress of a copy, reported from the copying thread every few thousand rows (at most about once a
 * second for large rows) and when each table is done. Implementations must be quick: the copy waits.
 */
@FunctionalInterface
public interface CopyProgress
{
   CopyProgress NONE = p -> { };

   /**
    * @param table        the table being copied (as the source names it)
    * @param tableIndex   its number, from 1
    * @param tables       how many tables the copy has
    * @param tableRows    rows of this table copied so far
    * @param rows         rows of all tables copied so far
    * @param bytes        bytes copied so far (the export's file bytes; for a direct copy the values' sizes)
    * @param elapsedMillis since the copy started
    * @param tableDone    true on the table's last report
    */
   record Progress(String table, int tableIndex, int tables, long tableRows, long rows, long bytes, long elapsedMillis, boolean tableDone)
   {
      public double rowsPerSecond()
      {
         return elapsedMillis == 0 ? 0 : rows * 1000.0 / elapsedMillis;
      }

      public double bytesPerSecond()
      {
         return elapsedMillis == 0 ? 0 : bytes * 1000.0 / elapsedMillis;
      }
   }

   void progress(Progress p);
}
