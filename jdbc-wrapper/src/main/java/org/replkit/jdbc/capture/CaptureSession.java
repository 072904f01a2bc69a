package org.replkit.jdbc.capture;

import org.replkit.core.changelog.Change;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The capture side of one physical connection: the driver's proxies call it around every statement
 * and transaction boundary; it never touches JDBC objects other than the real connection.
 *
 * <p>Transaction states and their transitions (all of them are made in {@link #to}):
 * <pre>
 *   AUTOCOMMIT --setAutoCommit(false)--> CLEAN --write--> DIRTY
 *   DIRTY --commit: commit record, COMMIT--> CLEAN      DIRTY --rollback--> CLEAN
 *   CLEAN | DIRTY --setAutoCommit(true) (DIRTY: commit record first)--> AUTOCOMMIT
 *   AUTOCOMMIT --write--> (own transaction: statement, commit record, COMMIT) --> AUTOCOMMIT
 * </pre>
 * Rows are recorded by the capture triggers as they are written; what this class adds is the commit
 * record, taken as late as possible, right before COMMIT, so the commit sequence orders transactions
 * the way their locks did. DDL and TRUNCATE are recorded here; on MariaDB and H2 they commit the open
 * transaction, so its commit record is written before them.
 *
 * <p>Nothing hangs off close(): a pool never closes the physical connection between borrowers, and a
 * transaction left open is rolled back by the pool or the database, which discards its records too.
 */
public final class CaptureSession
{
   public enum TxState
   {
      AUTOCOMMIT,
      CLEAN,
      DIRTY
   }

   private static final Pattern TRUNCATE_TABLE = Pattern.compile("(?is)^\\s*TRUNCATE\\s+(?:TABLE\\s+)?(?:ONLY\\s+)?((?:[`\"\\[][^`\"\\]]++[`\"\\]]|[\\w$]++)(?:\\.(?:[`\"\\[][^`\"\\]]++[`\"\\]]|[\\w$]++))?)");

   /** The one table a DDL statement creates, alters, drops, indexes or comments on; otherwise no match. */
   private static final Pattern DDL_TABLE = Pattern.compile("(?is)^\\s*(?:CREATE\\s+(?:(?:GLOBAL|LOCAL)\\s+)?(?:(?:TEMPORARY|TEMP|CACHED|MEMORY|UNLOGGED)\\s+)?TABLE"
                                                            + "(?:\\s+IF\\s+NOT\\s+EXISTS)?|ALTER\\s+TABLE(?:\\s+IF\\s+EXISTS)?(?:\\s+ONLY)?"
                                                            + "|DROP\\s+TABLE(?:\\s+IF\\s+EXISTS)?|COMMENT\\s+ON\\s+TABLE"
                                                            + "|CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?\\S+\\s+ON(?:\\s+ONLY)?)\\s+"
                                                            + "((?:[`\"\\[][^`\"\\]]++[`\"\\]]|[\\w$]++)(?:\\.(?:[`\"\\[][^`\"\\]]++[`\"\\]]|[\\w$]++))?)(?!\\s*,)");

   /** A JDBC call that runs the statement; returns what the proxy returns. */
   @FunctionalInterface
   public interface Work<T>
   {
      T run() throws SQLException;
   }

   /**
    * Test seam: runs between the commit record and COMMIT, the window in which a transaction holds its
    * sequence number but is not yet visible. Tests pause or fail there to prove readers never skip it.
    */
   public static volatile Work<Void> beforeCommitForTesting;

   private final Connection real;
   private final CapturedDatabase db;
   private final Capture capture;
   private TxState state;
   /** The session's current schema, cached: pgjdbc answers getSchema() with a round trip. Null: unknown. */
   private String currentSchema;
   /** Tables whose trigger this transaction installed (PostgreSQL): forgotten again if it rolls back. */
   private final List<String> installedInTx = new ArrayList<>();
   /** Non-null when capture could not be set up: writes are refused with this message, reads pass. */
   private final String refusal;

   public CaptureSession(Connection real, CapturedDatabase db) throws SQLException
   {
      this.real = real;
      this.db = db;
      this.capture = db.capture;
      this.refusal = null;
      capture.startSession(real, db.site);
      if (!real.getAutoCommit()) {
         real.commit(); // PostgreSQL undoes set_config with the transaction: a first rollback must not unmark the session
      }
      this.state = real.getAutoCommit() ? TxState.AUTOCOMMIT : TxState.CLEAN;
   }

   private CaptureSession(Connection real, String refusal)
   {
      this.real = real;
      this.db = null;
      this.capture = null;
      this.refusal = refusal;
      this.state = TxState.AUTOCOMMIT; // no write gets through, so the state never decides anything; asking a broken connection could fail
   }

   /**
    * A session for a connection whose capture could not be set up (the javaagent, which must not fail the
    * application's getConnection): reads and transaction control pass, every write is refused with
    * {@code reason}, so nothing is changed uncaptured. It never becomes DIRTY, so it writes no records.
    */
   public static CaptureSession refusingWrites(Connection real, String reason)
   {
      return new CaptureSession(real, reason);
   }

   public TxState state()
   {
      return state;
   }

   public CapturedDatabase database()
   {
      return db;
   }

   private void to(TxState next)
   {
      state = next;
   }

   // ---- statements ----

   /** The application changed (or may have changed) the current schema. */
   public void schemaChanged()
   {
      currentSchema = null;
   }

   private String currentSchema() throws SQLException
   {
      String s = currentSchema;
      if (s == null) {
         currentSchema = s = CapturedDatabase.currentSchema(capture.dialect(), real);
      }
      return s;
   }

   public <T> T execute(SqlInfo info, String sql, Work<T> work) throws SQLException
   {
      if (refusal != null) {
         return refusing(info, sql, work);
      }
      switch (info.kind()) {
         case READ:
            return work.run();
         case OTHER:
            currentSchema = null; // SET search_path, USE, SET SCHEMA
            return work.run();
         case COMMAND:
            throw new IllegalStateException("ReplKit commands are run by the statement proxies, never captured: " + abbreviate(sql));
         case BEGIN:
            throw new SQLException("ReplKit must see transaction boundaries: use Connection.setAutoCommit(false) instead of '"
                                   + abbreviate(sql) + "'", "25000");
         case COMMIT: {
            if (state == TxState.DIRTY) {
               capture.commit(real, db.site); // the application's COMMIT then finds nothing left to commit
            }
            final T r = work.run();
            endOfTransaction(true);
            return r;
         }
         case ROLLBACK: {
            final T r = work.run();
            endOfTransaction(false);
            return r;
         }
         case DDL:
         case TRUNCATE:
            if (info.kind() == SqlInfo.Kind.TRUNCATE && capture.truncateCapturedByTrigger()) {
               return write(info, sql, work);
            }
            return ddl(info, sql, work);
         default:
            return write(info, sql, work);
      }
   }

   private <T> T refusing(SqlInfo info, String sql, Work<T> work) throws SQLException
   {
      return switch (info.kind()) {
         case READ, OTHER, COMMIT, ROLLBACK -> work.run();
         default -> throw new SQLException(refusal + ": " + abbreviate(sql), "55000");
      };
   }

   /** A batch of plain statements: classified together, run as one unit of capture. */
   public <T> T executeBatch(List<String> sqls, Work<T> work) throws SQLException
   {
      if (refusal != null) {
         for (String sql : sqls) {
            refusing(notACommand(SqlClassifier.classify(sql), sql), sql, () -> null);
         }
         return work.run();
      }
      boolean writes = false;
      final List<SqlInfo.TableRef> tables = new ArrayList<>();
      for (String sql : sqls) {
         final SqlInfo info = notACommand(SqlClassifier.classify(sql), sql);
         switch (info.kind()) {
            case READ, OTHER -> { }
            case DML, CALL -> {
               refuseIfNeeded(info, sql);
               tables.addAll(info.tables());
               writes = true;
            }
            default -> throw new SQLException("ReplKit captures DDL, TRUNCATE and transaction control one statement at a time, "
                                              + "not in a batch: '" + abbreviate(sql) + "'", "0A000");
         }
      }
      return writes ? write(new SqlInfo(SqlInfo.Kind.DML, tables, null), null, work) : work.run();
   }

   private static SqlInfo notACommand(SqlInfo info, String sql) throws SQLException
   {
      if (info.kind() == SqlInfo.Kind.COMMAND) {
         throw new SQLException("ReplKit runs its commands one at a time, not in a batch: '" + abbreviate(sql) + "'", "0A000");
      }
      return info;
   }

   private <T> T write(SqlInfo info, String sql, Work<T> work) throws SQLException
   {
      if (info.kind() == SqlInfo.Kind.CALL) {
         currentSchema = null; // a procedure or block may change the search path
      }
      refuseIfNeeded(info, sql);
      ensureCaptured(info);
      if (state == TxState.AUTOCOMMIT) {
         return inOwnTransaction(work);
      }
      to(TxState.DIRTY);
      return work.run();
   }

   private void refuseIfNeeded(SqlInfo info, String sql) throws SQLException
   {
      if (info.refusal() != null) {
         throw new SQLException(info.refusal() + ": " + abbreviate(sql), "0A000");
      }
   }

   private void ensureCaptured(SqlInfo info) throws SQLException
   {
      if (info.tables().isEmpty()) {
         return;
      }
      final String current = currentSchema();
      if (db.knows(info.tables(), current)) {
         return;
      }
      if (capture.ddlCommits() && state == TxState.DIRTY) {
         throw new SQLException("ReplKit must install capture on table " + info.tables() + " (created after this process scanned the database), "
                                + "and on " + capture.dialect() + " that DDL would commit your open transaction: retry the transaction "
                                + "(the trigger is installed at its start)", "55000");
      }
      if (capture.ddlCommits()) {
         CapturedDatabase.ownTransaction(real, () -> db.ensureTables(real, info.tables(), current, null));
      }
      else {
         db.ensureTables(real, info.tables(), current, state == TxState.AUTOCOMMIT ? null : installedInTx);
      }
   }

   private <T> T ddl(SqlInfo info, String sql, Work<T> work) throws SQLException
   {
      currentSchema = null;
      final String schema = currentSchema();
      final String table = info.kind() == SqlInfo.Kind.TRUNCATE ? truncatedTable(sql, db) : null;
      final Change.Op op = info.kind() == SqlInfo.Kind.TRUNCATE ? Change.Op.TRUNCATE : Change.Op.DDL;
      // the DDL of an excluded table (Liquibase's DATABASECHANGELOG, say) is not replicated either: its rows never are
      final boolean recorded = !mentionsLogSchema(sql) && !namesExcludedTable(sql, schema);
      if (!capture.ddlCommits()) {
         // PostgreSQL: DDL is transactional; record it in the same transaction
         final Work<T> withRecord = () -> {
            final T r = work.run();
            db.rescan(real, state == TxState.AUTOCOMMIT ? null : installedInTx);
            if (recorded) {
               capture.recordStatement(real, op, schema, table, sql);
            }
            return r;
         };
         if (state == TxState.AUTOCOMMIT) {
            return inOwnTransaction(withRecord);
         }
         to(TxState.DIRTY);
         return withRecord.run();
      }
      // MariaDB, H2: the statement would commit the open transaction anyway; commit it with its record first
      if (state == TxState.DIRTY) {
         capture.commit(real, db.site);
      }
      final T r;
      try {
         r = work.run();
      }
      finally {
         if (state == TxState.DIRTY) {
            to(TxState.CLEAN); // committed by the statement (even a failing DDL commits first)
         }
      }
      // Not atomic with the DDL (the database cannot do that): a write by another session in between can be
      // ordered before this record. Quiesce the table's writers around DDL on these databases.
      CapturedDatabase.ownTransaction(real, () -> {
         db.rescan(real, null);
         if (recorded) {
            capture.recordStatement(real, op, schema, table, sql);
            capture.commit(real, db.site);
         }
      });
      return r;
   }

   private boolean mentionsLogSchema(String sql)
   {
      return sql.contains(db.log.schema() + "\".") || sql.contains(db.log.schema() + "`.") || sql.contains(db.log.schema() + ".");
   }

   /** True when the DDL (or TRUNCATE) statement is about one table, and replkit.exclude excludes it. */
   private boolean namesExcludedTable(String sql, String currentSchema)
   {
      final Matcher ddl = DDL_TABLE.matcher(sql);
      final Matcher truncate = TRUNCATE_TABLE.matcher(sql);
      final Matcher m = ddl.find() ? ddl : truncate.find() ? truncate : null;
      if (m == null || !aboutOneTableOnly(sql, m.end(1))) {
         return false;
      }
      final String name = m.group(1);
      final int dot = name.lastIndexOf('.');
      final String table = SqlClassifier.unquote(dot < 0 ? name : name.substring(dot + 1));
      final String schema = dot < 0 ? currentSchema : SqlClassifier.unquote(name.substring(0, dot));
      return db.config.isExcluded(schema, table);
   }

   /**
    * False when the statement may reach beyond the table it names first: more tables after it (DROP or
    * TRUNCATE a, b), CASCADE, a RENAME to another name, or a second statement. Such DDL is recorded even when
    * the first table is excluded: skipping it could lose a change to a replicated table.
    */
   static boolean aboutOneTableOnly(String sql, int afterName)
   {
      final String rest = sql.substring(afterName);
      if (rest.stripLeading().startsWith(",")) {
         return false;
      }
      final String upper = sql.toUpperCase(java.util.Locale.ROOT);
      final int semicolon = rest.indexOf(';');
      return !upper.matches("(?s).*\\b(CASCADE|RENAME)\\b.*") && (semicolon < 0 || rest.substring(semicolon + 1).isBlank());
   }

   /** The truncated table as the catalog spells it (unquoted names fold the database's way). */
   private static String truncatedTable(String sql, CapturedDatabase db)
   {
      final Matcher m = TRUNCATE_TABLE.matcher(sql);
      if (!m.find()) {
         return null;
      }
      final String name = m.group(1);
      final int dot = name.lastIndexOf('.');
      final String table = dot < 0 ? name : name.substring(dot + 1);
      final String unquoted = SqlClassifier.unquote(table);
      return db.fold(unquoted, !unquoted.equals(table));
   }

   private <T> T inOwnTransaction(Work<T> work) throws SQLException
   {
      real.setAutoCommit(false);
      try {
         final T r = work.run();
         capture.commit(real, db.site);
         return r;
      }
      catch (SQLException | RuntimeException e) {
         try {
            real.rollback();
            capture.endTransaction(real);
         }
         catch (SQLException r) {
            e.addSuppressed(r);
         }
         throw e;
      }
      finally {
         installedInTx.clear();
         real.setAutoCommit(true);
      }
   }

   // ---- transaction boundaries ----

   public void commit() throws SQLException
   {
      final Work<Void> hook = beforeCommitForTesting;
      if (state == TxState.DIRTY && hook != null) {
         capture.writeCommitRecord(real, db.site);
         hook.run();
         real.commit();
      }
      else if (state == TxState.DIRTY) {
         capture.commit(real, db.site);
      }
      else {
         real.commit();
      }
      endOfTransaction(true);
   }

   public void rollback() throws SQLException
   {
      try {
         real.rollback();
      }
      finally {
         endOfTransaction(false);
      }
   }

   public void setAutoCommit(boolean autoCommit) throws SQLException
   {
      if (autoCommit && state == TxState.DIRTY) {
         capture.commit(real, db.site); // JDBC: switching autocommit on commits the open transaction
      }
      real.setAutoCommit(autoCommit);
      if (autoCommit) {
         installedInTx.clear();
      }
      to(autoCommit ? TxState.AUTOCOMMIT : state == TxState.AUTOCOMMIT ? TxState.CLEAN : state);
   }

   private void endOfTransaction(boolean committed) throws SQLException
   {
      final boolean wasDirty = state == TxState.DIRTY;
      if (!committed && db != null) {
         db.forget(installedInTx);
      }
      installedInTx.clear();
      if (state != TxState.AUTOCOMMIT) {
         to(TxState.CLEAN);
      }
      if (!committed && wasDirty) {
         capture.endTransaction(real);
      }
   }

   static String abbreviate(String sql)
   {
      if (sql == null) {
         return "(batch)";
      }
      final String s = sql.strip();
      return s.length() <= 200 ? s : s.substring(0, 200) + "...";
   }
}
