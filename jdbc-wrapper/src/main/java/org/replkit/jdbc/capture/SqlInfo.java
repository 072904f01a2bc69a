package org.replkit.jdbc.capture;

import org.replkit.procs.Script;

import java.util.List;

/**
 * What the capture needs to know about one SQL text; computed once per distinct text and cached.
 *
 * @param kind    how the statement affects capture
 * @param tables  the tables a DML statement writes (as written, unresolved), when the parser found them
 * @param refusal non-null when the statement must not run: the reason, for the SQLException
 * @param command the calls of a {@link Kind#COMMAND}, else null
 */
public record SqlInfo(Kind kind, List<TableRef> tables, String refusal, Script command)
{
   public SqlInfo(Kind kind, List<TableRef> tables, String refusal)
   {
      this(kind, tables, refusal, null);
   }

   public enum Kind
   {
      /** Reads only: runs untouched. */
      READ,
      /** INSERT, UPDATE, DELETE, MERGE, upserts, COPY, LOAD DATA: rows captured by the capture triggers. */
      DML,
      /** CALL, EXEC, anonymous blocks and anything unknown: may write through triggers, so it dirties the transaction. */
      CALL,
      /** CREATE, ALTER, DROP, RENAME, COMMENT: recorded as a DDL record. */
      DDL,
      TRUNCATE,
      COMMIT,
      ROLLBACK,
      /** BEGIN / START TRANSACTION as SQL text: refused, the driver must see transaction boundaries. */
      BEGIN,
      /** SET, SAVEPOINT, LOCK, GRANT and the like: no rows, nothing to record. */
      OTHER,
      /**
       * A ReplKit command (lr_dump_marker, sp_start_rep_agent, suspend ...): the statement proxies run it
       * instead of the database; never captured, never dirties the transaction.
       */
      COMMAND;

      public boolean writes()
      {
         return this == DML || this == CALL || this == DDL || this == TRUNCATE;
      }
   }

   /** A table as a statement names it; {@code quoted} parts keep their case, others fold the database's way. */
   public record TableRef(String schema, String name, boolean quoted)
   {
   }

   static SqlInfo of(Kind kind)
   {
      return new SqlInfo(kind, List.of(), null);
   }
}
