package org.replkit.jdbc.capture;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.TableInfo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL: one generic plpgsql trigger function writes row_to_json images; the commit sequence comes
 * from advisory locks and a sequence (see rk_commit), which works under every isolation level (a counter
 * row would fail REPEATABLE READ transactions with serialization errors) and lets commits flush together.
 */
final class PostgresCapture extends Capture
{
   private static final String REFUSE_FOREIGN = "table %.% is replicated by ReplKit: write it through a jdbc:replkit: "
                                                + "connection (or SET replkit.apply = on to change it without replicating)";
   private static final String REFUSE_NOKEY = "ReplKit cannot capture writes to table %.%: it has no primary key. Add one, "
                                              + "configure a unique key (replkit.keys), or exclude the table (replkit.exclude)";

   /** The commit record alone, and with COMMIT: built once, they run on every commit. */
   private final String commitRecord;
   private final String commitRecordAndCommit;

   PostgresCapture(ChangeLogSchema log)
   {
      super(log);
      this.commitRecord = "SELECT " + dialect().quote(log.schema()) + ".rk_commit(?)";
      this.commitRecordAndCommit = commitRecord + "; COMMIT";
   }

   @Override
   void installRoutines(Connection c) throws SQLException
   {
      final String s = dialect().quote(log.schema());
      final String lockKey = "hashtext(" + sqlString("replkit-commit:" + log.schema()) + ")";
      try (Statement st = c.createStatement()) {
         st.execute("CREATE OR REPLACE FUNCTION " + s + ".rk_capture() RETURNS trigger LANGUAGE plpgsql AS $rk$\n"
                    + "BEGIN\n"
                    + "  IF current_setting('replkit.apply', true) = 'on' THEN RETURN NULL; END IF;\n"
                    + "  IF coalesce(current_setting('replkit.session', true), '') = '' THEN\n"
                    + "    RAISE EXCEPTION '" + REFUSE_FOREIGN + "', TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '55000';\n"
                    + "  END IF;\n"
                    + "  IF TG_ARGV[0] = 'nokey' THEN\n"
                    + "    RAISE EXCEPTION '" + REFUSE_NOKEY + "', TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = '55000';\n"
                    + "  END IF;\n"
                    + "  IF TG_OP = 'INSERT' THEN\n"
                    + "    INSERT INTO " + s + ".rk_change (tx, op, schema_name, table_name, after_image)\n"
                    + "      VALUES (txid_current(), 'I', TG_TABLE_SCHEMA, TG_TABLE_NAME, row_to_json(NEW)::text);\n"
                    + "  ELSIF TG_OP = 'UPDATE' THEN\n"
                    + "    INSERT INTO " + s + ".rk_change (tx, op, schema_name, table_name, before_image, after_image)\n"
                    + "      VALUES (txid_current(), 'U', TG_TABLE_SCHEMA, TG_TABLE_NAME, row_to_json(OLD)::text, row_to_json(NEW)::text);\n"
                    + "  ELSIF TG_OP = 'DELETE' THEN\n"
                    + "    INSERT INTO " + s + ".rk_change (tx, op, schema_name, table_name, before_image)\n"
                    + "      VALUES (txid_current(), 'D', TG_TABLE_SCHEMA, TG_TABLE_NAME, row_to_json(OLD)::text);\n"
                    + "  ELSIF TG_OP = 'TRUNCATE' THEN\n"
                    + "    INSERT INTO " + s + ".rk_change (tx, op, schema_name, table_name, stmt)\n"
                    + "      VALUES (txid_current(), 'T', TG_TABLE_SCHEMA, TG_TABLE_NAME, 'TRUNCATE');\n"
                    + "  END IF;\n"
                    + "  RETURN NULL;\n"
                    + "END $rk$");
         // Takes the commit sequence as late as possible: the caller COMMITs in the same message. Numbers
         // come from a short critical section (a session lock released before COMMIT, so concurrent commits
         // still flush together); each transaction then holds an advisory lock on its own number until it
         // ends, which is how a reader tells a number still committing from one rolled back. Conflicting
         // transactions cannot reach this point before the one they wait for has ended, so numbers follow
         // every write-write conflict. The sequence is read and set, never nextval'd, so the application's
         // lastval() stays its own.
         final String seq = sqlString(dialect().quote(log.schema()) + ".rk_seq");
         st.execute("CREATE OR REPLACE FUNCTION " + s + ".rk_commit(p_site text) RETURNS bigint LANGUAGE plpgsql AS $rk$\n"
                    + "DECLARE t bigint := txid_current_if_assigned(); n bigint;\n"
                    + "BEGIN\n"
                    + "  IF t IS NULL OR NOT EXISTS (SELECT 1 FROM " + s + ".rk_change WHERE tx = t) THEN RETURN NULL; END IF;\n"
                    // The session lock must never outlive this block, even on a cancel: a leaked one would stall
                    // every later commit. Lock and unlock both sit inside it; a second unlock in the handler is harmless.
                    + "  BEGIN\n"
                    + "    PERFORM pg_advisory_lock(" + lockKey + ");\n"
                    + "    n := coalesce(pg_sequence_last_value(" + seq + "), 0) + 1;\n"
                    + "    PERFORM setval(" + seq + ", n);\n"
                    + "    PERFORM pg_advisory_xact_lock(" + log.inFlightLockKeySql() + ", (n % 2147483647)::int);\n"
                    + "    PERFORM pg_advisory_unlock(" + lockKey + ");\n"
                    + "  EXCEPTION WHEN query_canceled OR others THEN\n"
                    + "    PERFORM pg_advisory_unlock(" + lockKey + ");\n"
                    + "    RAISE;\n"
                    + "  END;\n"
                    + "  INSERT INTO " + s + ".rk_commit (seq, tx, site, committed_at) VALUES (n, t, p_site, clock_timestamp() AT TIME ZONE 'UTC');\n"
                    + "  RETURN n;\n"
                    + "END $rk$");
      }
   }

   @Override
   void installTable(Connection c, TableInfo t) throws SQLException
   {
      final String table = dialect().qualified(t.schema(), t.name());
      final String s = dialect().quote(log.schema());
      try (Statement st = c.createStatement()) {
         st.execute("CREATE OR REPLACE TRIGGER replkit_capture AFTER INSERT OR UPDATE OR DELETE ON " + table
                    + " FOR EACH ROW EXECUTE FUNCTION " + s + ".rk_capture('" + (t.key().isEmpty() ? "nokey" : "key") + "')");
         st.execute("CREATE OR REPLACE TRIGGER replkit_truncate AFTER TRUNCATE ON " + table
                    + " FOR EACH STATEMENT EXECUTE FUNCTION " + s + ".rk_capture('" + (t.key().isEmpty() ? "nokey" : "key") + "')");
      }
   }

   @Override
   void removeTable(Connection c, String schema, String table) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         st.execute("DROP TRIGGER IF EXISTS replkit_capture ON " + dialect().qualified(schema, table));
         st.execute("DROP TRIGGER IF EXISTS replkit_truncate ON " + dialect().qualified(schema, table));
      }
   }

   @Override
   boolean hasTrigger(Connection c, String schema, String table) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(
         "SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(?) AND tgname = 'replkit_capture'")) {
         ps.setString(1, dialect().qualified(schema, table));
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
         }
      }
   }

   @Override
   void startSession(Connection c, String site) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT set_config('replkit.session', ?, false)")) {
         ps.setString(1, site);
         ps.execute();
      }
   }

   @Override
   void commit(Connection c, String site) throws SQLException
   {
      // One message: the advisory lock taken by rk_commit is held for COMMIT's flush, not a client round trip.
      // Prepared, not a plain Statement: pgjdbc then prepares it on the server after a few commits and stops
      // parsing and planning it every time (TpcbBench: about 0.05 of raw throughput).
      try (PreparedStatement ps = c.prepareStatement(commitRecordAndCommit)) {
         ps.setString(1, site);
         ps.execute();
      }
      c.commit(); // pgjdbc sees the transaction already ended: no round trip
   }

   @Override
   void writeCommitRecord(Connection c, String site) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(commitRecord)) {
         ps.setString(1, site);
         ps.execute();
      }
   }

   @Override
   void endTransaction(Connection c)
   {
      // the transaction id is the server's own xid: nothing to reset
   }

   @Override
   String transactionIdExpression()
   {
      return "txid_current()";
   }

   @Override
   boolean ddlCommits()
   {
      return false;
   }

   @Override
   boolean truncateCapturedByTrigger()
   {
      return true;
   }
}
