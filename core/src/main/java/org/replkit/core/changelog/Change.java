package org.replkit.core.changelog;

/**
 * One captured record of a transaction, in the order the transaction made it.
 *
 * @param op     the kind of record
 * @param schema schema of the table (null for DDL that names no table)
 * @param table  table name as the database reports it
 * @param before the before image as a JSON object (updates and deletes), else null
 * @param after  the after image as a JSON object (inserts and updates), else null
 * @param stmt   the statement text, for DDL and TRUNCATE records
 */
public record Change(Op op, String schema, String table, String before, String after, String stmt)
{
   public enum Op
   {
      INSERT('I'),
      UPDATE('U'),
      DELETE('D'),
      TRUNCATE('T'),
      DDL('S'),
      /** A resync or dump marker: made by the log reader, never by capture (see org.replkit.core.queue.Marker). */
      MARKER('M');

      public final char code;

      Op(char code)
      {
         this.code = code;
      }

      public static Op of(char code)
      {
         for (Op op : values()) {
            if (op.code == code) {
               return op;
            }
         }
         throw new IllegalArgumentException("unknown change-log op '" + code + "'");
      }
   }
}
