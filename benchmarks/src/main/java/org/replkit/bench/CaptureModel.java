package org.replkit.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Hand-written models of capture without per-row triggers, for PostgreSQL, to measure what such a driver
 * would cost before building it (issue 2's 0.85x target). Each model runs the same TPC-B transaction over
 * the plain driver the way a capturing driver would rewrite it:
 * <ul>
 *   <li>every write returns its row images with {@code RETURNING row_to_json(...)}, so the images reach the
 *       client with the statement's own result (no extra round trip);</li>
 *   <li>the transaction's images go to the log as one row, written with the commit record by the same
 *       protocol as ReplKit's {@code rk_commit} (advisory locks, a sequence read and set), in the message
 *       that carries COMMIT;</li>
 *   <li>a statement-level trigger with a WHEN clause refuses writes from sessions that are not the
 *       capturing driver's; for the driver's own statements it is never called.</li>
 * </ul>
 * The models differ in how an UPDATE gets its before image on PostgreSQL before 18 (which has
 * {@code RETURNING OLD}). None of this is ReplKit's driver: it is a cost model. Measured, the lean models
 * beat ReplKit's triggers and the sound one ({@link #STATEMENT_CAPTURE}) about matches them
 * (benchmarks/README.md, "Capture without per-row triggers").
 */
enum CaptureModel
{
   /** ReplKit's driver as it is: per-row capture triggers. Not a model. */
   REPLKIT("replkit"),
   /**
    * The before image is taken in the SET clause: PostgreSQL evaluates SET expressions on the row version it
    * updates, also when a concurrent update made it re-read the row (EvalPlanQual re-projects), so the image
    * is exact. A transaction-local setting carries it to RETURNING, evaluated for the same row right after.
    */
   RETURNING_SET("returning-set"),
   /** The before image from a self-join on the key that locks the row first (FOR UPDATE), then the update. */
   RETURNING_JOIN("returning-join"),
   /** After images only: what capture costs without before images (about what RETURNING OLD would cost). */
   RETURNING_AFTER_ONLY("returning-after-only"),
   /**
    * {@link #RETURNING_SET} with everything else a driver built that way would need, to price the whole
    * design: the row capture trigger stays on every table, for the writes the driver does not rewrite,
    * with a WHEN clause that skips the rows a rewritten statement writes itself. The statement tags those
    * rows before writing them (a transaction-local setting holding {@code statement_timestamp()} and the
    * table's oid, set in the SET clause, the WHERE clause, or for an INSERT in {@code SELECT <values> WHERE
    * <tag>}, which types its parameters from the target columns as VALUES does); a trigger sees the tag of its own statement
    * and table only, and never at trigger depth above 0, so writes made by other triggers and cascades
    * are still captured by the trigger. Each image takes its place in the transaction's order from the
    * counter the trigger's rows use ({@code next_id()}), and the images go to the change table as one
    * row with the commit record. Statements are prepared with RETURN_GENERATED_KEYS and the images read
    * from getGeneratedKeys(), so update counts and batches stay the driver's own.
    */
   STATEMENT_CAPTURE("statement-capture"),
   /**
    * {@link #STATEMENT_CAPTURE}'s statements without the row capture trigger: what the design would cost if
    * nothing but the driver's rewritten statements ever wrote the tables. Not a sound design (a function or
    * a cascade would write uncaptured); it prices the trigger that stays behind.
    */
   STATEMENT_ONLY("statement-only");

   static final String SCHEMA = "rkmodel";
   private static final String SESSION_SETTING = "rkmodel.session";

   final String option;

   CaptureModel(String option)
   {
      this.option = option;
   }

   static CaptureModel of(String option)
   {
      for (CaptureModel m : values()) {
         if (m.option.equals(option.toLowerCase(Locale.ROOT))) {
            return m;
         }
      }
      throw new IllegalArgumentException("--capture: expected replkit, returning-set, returning-join, returning-after-only, statement-capture or "
                                         + "statement-only but found '" + option + "'");
   }

   boolean isModel()
   {
      return this != REPLKIT;
   }

   boolean hasBeforeImages()
   {
      return this == RETURNING_SET || this == RETURNING_JOIN || this == STATEMENT_CAPTURE || this == STATEMENT_ONLY;
   }

   /** SQL a model's pool runs on each new connection: marks the session as the capturing driver's. */
   static String sessionInitSql()
   {
      return "SELECT set_config('" + SESSION_SETTING + "', 'bench', false)";
   }

   /**
    * The model's log and commit routine and the refusing triggers, on a loaded database (plain connection);
    * for {@link #STATEMENT_CAPTURE} also the row capture trigger, which the other models must not have: it
    * would capture every row a second time.
    */
   void install(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         st.execute("CREATE SCHEMA " + SCHEMA);
         st.execute("CREATE FUNCTION " + SCHEMA + ".next_id() RETURNS bigint LANGUAGE sql VOLATILE AS $m$"
                    + " SELECT set_config('rkmodel.n', (coalesce(nullif(current_setting('rkmodel.n', true), ''), '0')::bigint + 1)::text, true)::bigint $m$");
         st.execute("CREATE SEQUENCE " + SCHEMA + ".seq");
         st.execute("CREATE TABLE " + SCHEMA + ".log (seq BIGINT PRIMARY KEY, tx BIGINT NOT NULL, site VARCHAR(128) NOT NULL,"
                    + " committed_at TIMESTAMP NOT NULL, images TEXT)");
         // statement-capture: ReplKit's rk_change layout, its id counter, and a row trigger like rk_capture
         st.execute("CREATE TABLE " + SCHEMA + ".change (tx BIGINT NOT NULL, id BIGINT NOT NULL DEFAULT " + SCHEMA + ".next_id(), op CHAR(1) NOT NULL,"
                    + " table_name VARCHAR(256), before_image TEXT, after_image TEXT, PRIMARY KEY (tx, id))");
         st.execute("CREATE FUNCTION " + SCHEMA + ".capture() RETURNS trigger LANGUAGE plpgsql AS $m$ BEGIN\n"
                    + "  IF TG_OP = 'INSERT' THEN INSERT INTO " + SCHEMA + ".change (tx, op, table_name, after_image) VALUES (txid_current(), 'I', TG_TABLE_NAME, row_to_json(NEW)::text);\n"
                    + "  ELSIF TG_OP = 'UPDATE' THEN INSERT INTO " + SCHEMA + ".change (tx, op, table_name, before_image, after_image)"
                    + " VALUES (txid_current(), 'U', TG_TABLE_NAME, row_to_json(OLD)::text, row_to_json(NEW)::text);\n"
                    + "  ELSE INSERT INTO " + SCHEMA + ".change (tx, op, table_name, before_image) VALUES (txid_current(), 'D', TG_TABLE_NAME, row_to_json(OLD)::text);\n"
                    + "  END IF; RETURN NULL; END $m$");
         // rk_commit's protocol (PostgresCapture), with the images as one more column of the commit row
         st.execute("CREATE FUNCTION " + SCHEMA + ".commit_images(p_site text, p_images text) RETURNS bigint LANGUAGE plpgsql AS $m$\n"
                    + "DECLARE t bigint := txid_current(); n bigint;\n"
                    + "BEGIN\n"
                    + "  BEGIN\n"
                    + "    PERFORM pg_advisory_lock(hashtext('rkmodel-commit'));\n"
                    + "    n := coalesce(pg_sequence_last_value('" + SCHEMA + ".seq'), 0) + 1;\n"
                    + "    PERFORM setval('" + SCHEMA + ".seq', n);\n"
                    + "    PERFORM pg_advisory_xact_lock(hashtext('rkmodel-inflight'), (n % 2147483647)::int);\n"
                    + "    PERFORM pg_advisory_unlock(hashtext('rkmodel-commit'));\n"
                    + "  EXCEPTION WHEN query_canceled OR others THEN\n"
                    + "    PERFORM pg_advisory_unlock(hashtext('rkmodel-commit'));\n"
                    + "    RAISE;\n"
                    + "  END;\n"
                    + "  INSERT INTO " + SCHEMA + ".log VALUES (n, t, p_site, clock_timestamp() AT TIME ZONE 'UTC', p_images);\n"
                    + "  RETURN n;\n"
                    + "END $m$");
         st.execute("CREATE FUNCTION " + SCHEMA + ".refuse() RETURNS trigger LANGUAGE plpgsql AS $m$ BEGIN"
                    + " RAISE EXCEPTION 'table % is captured: write it through the capturing driver', TG_TABLE_NAME USING ERRCODE = '55000'; END $m$");
         for (String table : new String[] {"branches", "tellers", "accounts", "history"}) {
            st.execute("CREATE TRIGGER rkmodel_refuse BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + table + " FOR EACH STATEMENT"
                       + " WHEN (coalesce(current_setting('" + SESSION_SETTING + "', true), '') = '') EXECUTE FUNCTION " + SCHEMA + ".refuse()");
            if (this == STATEMENT_CAPTURE) {
               st.execute("CREATE TRIGGER rkmodel_capture AFTER INSERT OR UPDATE OR DELETE ON " + table + " FOR EACH ROW WHEN (pg_trigger_depth() > 0 OR "
                          + "current_setting('rkmodel.row', true) IS DISTINCT FROM statement_timestamp()::text || '|" + oid(c, table) + "')"
                          + " EXECUTE FUNCTION " + SCHEMA + ".capture()");
            }
         }
      }
   }

   private static long oid(Connection c, String table) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::oid")) {
         ps.setString(1, table);
         try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
         }
      }
   }

   /** The tag a rewritten statement gives the rows it writes: only this statement's trigger calls on this table match it. */
   private static String tag(long oid)
   {
      return "set_config('rkmodel.row', statement_timestamp()::text || '|" + oid + "', true) IS NOT NULL";
   }

   /** The TPC-B transaction as this model's driver would send it. */
   TpcbWorkload.Transaction transaction(Connection plain) throws SQLException
   {
      if (this == STATEMENT_CAPTURE || this == STATEMENT_ONLY) {
         return statementCapture(plain);
      }
      final String updateAccount = update("accounts", "aid", "abalance");
      final String updateTeller = update("tellers", "tid", "tbalance");
      final String updateBranch = update("branches", "bid", "bbalance");
      final String insertHistory = TpcbWorkload.INSERT_HISTORY + " RETURNING row_to_json(history)::text";
      final String commit = "SELECT " + SCHEMA + ".commit_images(?, ?); COMMIT";
      return (c, aid, tid, bid, delta) -> {
         final StringBuilder images = new StringBuilder(1024).append('[');
         images(c, updateAccount, "accounts", images, delta, aid);
         TpcbWorkload.selectAccount(c, aid);
         images(c, updateTeller, "tellers", images, delta, tid);
         images(c, updateBranch, "branches", images, delta, bid);
         images(c, insertHistory, "history", images, tid, bid, aid, delta);
         try (PreparedStatement ps = c.prepareStatement(commit)) {
            ps.setString(1, TpcbBench.SITE);
            ps.setString(2, images.append(']').toString());
            ps.execute();
         }
         c.commit(); // pgjdbc sees the transaction already ended: no round trip
      };
   }

   private static TpcbWorkload.Transaction statementCapture(Connection plain) throws SQLException
   {
      final String[][] updates = {{"accounts", "aid", "abalance"}, {"tellers", "tid", "tbalance"}, {"branches", "bid", "bbalance"}};
      final String[] sql = new String[3];
      final long[] oids = new long[4];
      for (int i = 0; i < 3; i++) {
         final String t = updates[i][0];
         final String k = updates[i][1];
         final String col = updates[i][2];
         oids[i] = oid(plain, t);
         sql[i] = "UPDATE " + t + " SET " + col + " = " + col + " + ?, " + keepBeforeImage(t, k, tag(oids[i])) + " WHERE " + k + " = ?"
                  + " RETURNING tableoid, current_setting('rkmodel.before'), row_to_json(" + t + ")::text, " + SCHEMA + ".next_id()";
      }
      oids[3] = oid(plain, "history");
      // VALUES becomes SELECT ... WHERE tag: unknown-typed parameters still take the target columns' types
      final String insertHistory = "INSERT INTO history (tid, bid, aid, delta, mtime) SELECT ?, ?, ?, ?, CURRENT_TIMESTAMP WHERE " + tag(oids[3])
                                   + " RETURNING tableoid, NULL, row_to_json(history)::text, " + SCHEMA + ".next_id()";
      final String commit = "INSERT INTO " + SCHEMA + ".change (tx, id, op, after_image) VALUES (txid_current(), ?, 'B', ?); SELECT "
                            + SCHEMA + ".commit_images(?, NULL); COMMIT";
      return (c, aid, tid, bid, delta) -> {
         final StringBuilder images = new StringBuilder(1024).append('[');
         final long[] firstId = {0};
         tagged(c, sql[0], oids[0], "accounts", images, firstId, delta, aid);
         TpcbWorkload.selectAccount(c, aid);
         tagged(c, sql[1], oids[1], "tellers", images, firstId, delta, tid);
         tagged(c, sql[2], oids[2], "branches", images, firstId, delta, bid);
         tagged(c, insertHistory, oids[3], "history", images, firstId, tid, bid, aid, delta);
         try (PreparedStatement ps = c.prepareStatement(commit)) {
            ps.setLong(1, firstId[0]);
            ps.setString(2, images.append(']').toString());
            ps.setString(3, TpcbBench.SITE);
            ps.execute();
         }
         c.commit();
      };
   }

   /** Runs a tagged write as the driver would (update count from the driver, images from the generated keys). */
   private static void tagged(Connection c, String sql, long oid, String table, StringBuilder images, long[] firstId, int... parameters) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
         for (int i = 0; i < parameters.length; i++) {
            ps.setInt(i + 1, parameters[i]);
         }
         final int count = ps.executeUpdate();
         int seen = 0;
         try (ResultSet rs = ps.getGeneratedKeys()) {
            while (rs.next()) {
               seen++;
               if (rs.getLong(1) != oid) {
                  continue; // another table's row: its own trigger captured it
               }
               if (firstId[0] == 0) {
                  firstId[0] = rs.getLong(4);
               }
               final String before = rs.getString(2);
               appendImage(images, before == null ? 'I' : 'U', table, before, rs.getString(3));
            }
         }
         if (seen != count) {
            throw new SQLException("the driver counted " + count + " rows but returned images of " + seen);
         }
      }
   }

   /**
    * The SET item that keeps the row's before image in {@code rkmodel.before}, after {@code condition} (a
    * predicate evaluated first, for its side effect): the key assigned to itself, which changes no value and
    * takes no stronger lock, because the key is not modified.
    */
   private static String keepBeforeImage(String table, String key, String condition)
   {
      return key + " = CASE WHEN " + condition + " AND set_config('rkmodel.before', row_to_json(" + table + ")::text, true) IS NOT NULL THEN " + key + " END";
   }

   /** {@code UPDATE table SET column = column + ? WHERE key = ?}, rewritten to return its images. */
   private String update(String table, String key, String column)
   {
      return switch (this) {
         case RETURNING_SET -> "UPDATE " + table + " SET " + column + " = " + column + " + ?, " + keepBeforeImage(table, key, "TRUE")
                               + " WHERE " + key + " = ? RETURNING current_setting('rkmodel.before'), row_to_json(" + table + ")::text";
         case RETURNING_JOIN -> "UPDATE " + table + " SET " + column + " = " + column + " + ? FROM (SELECT " + key + " AS rk_key, row_to_json(" + table
                                + ")::text AS rk_before FROM " + table + " WHERE " + key + " = ? FOR UPDATE) rk_old WHERE " + table + "." + key
                                + " = rk_old.rk_key RETURNING rk_old.rk_before, row_to_json(" + table + ")::text";
         case RETURNING_AFTER_ONLY -> "UPDATE " + table + " SET " + column + " = " + column + " + ? WHERE " + key + " = ? RETURNING NULL, row_to_json("
                                      + table + ")::text";
         case REPLKIT, STATEMENT_CAPTURE, STATEMENT_ONLY -> throw new IllegalStateException(this + " has its own statements");
      };
   }

   /** Runs a rewritten write and appends its images. */
   private static void images(Connection c, String sql, String table, StringBuilder images, int... parameters) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
         for (int i = 0; i < parameters.length; i++) {
            ps.setInt(i + 1, parameters[i]);
         }
         try (ResultSet rs = ps.executeQuery()) {
            final boolean update = rs.getMetaData().getColumnCount() == 2;
            while (rs.next()) {
               appendImage(images, update ? 'U' : 'I', table, update ? rs.getString(1) : null, rs.getString(update ? 2 : 1));
            }
         }
      }
   }

   /** Appends {"op":"U","table":"t","before":{...},"after":{...}} to the transaction's JSON array; no "before" when null. */
   private static void appendImage(StringBuilder images, char op, String table, String before, String after)
   {
      images.append(images.length() == 1 ? "{" : ",{").append("\"op\":\"").append(op).append("\",\"table\":\"").append(table).append('"');
      if (before != null) {
         images.append(",\"before\":").append(before);
      }
      images.append(",\"after\":").append(after).append('}');
   }

   /** Rows a row capture trigger wrote: none for every model (statement-capture: every write is a tagged statement). */
   static long triggerCapturedRows(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + SCHEMA + ".change WHERE op <> 'B'")) {
         rs.next();
         return rs.getLong(1);
      }
   }

   /** What the before-image check found: updates of a hot row that followed another, and how many images were wrong or missing. */
   record BeforeImageCheck(long checked, long broken)
   {
   }

   /**
    * The proof that the before images are exact under contention: on the hot rows (branches and tellers,
    * updated by every client), in commit-sequence order, each update's before image must be the previous
    * update's after image of the same row.
    */
   static BeforeImageCheck checkBeforeImages(Connection c) throws SQLException
   {
      // statement-capture keeps the images in the change table's one row per transaction, the others in the log row
      final String images = "(SELECT l.seq, coalesce(l.images, b.after_image) AS images FROM " + SCHEMA + ".log l LEFT JOIN " + SCHEMA
                            + ".change b ON b.tx = l.tx AND b.op = 'B')";
      final String sql = "WITH e AS (SELECT l.seq, x.i, x.elem FROM " + images + " l, jsonb_array_elements(l.images::jsonb) WITH ORDINALITY x(elem, i)),"
                         + " u AS (SELECT seq, i, elem->>'table' AS tbl, coalesce(elem->'before'->>'bid', '') || '/' || coalesce(elem->'before'->>'tid', '') AS k,"
                         + "  elem->'before' AS b, elem->'after' AS a FROM e WHERE elem->>'op' = 'U' AND elem->>'table' IN ('branches', 'tellers')),"
                         + " c AS (SELECT *, lag(a) OVER (PARTITION BY tbl, k ORDER BY seq, i) AS prev FROM u)"
                         + " SELECT count(*) FILTER (WHERE prev IS NOT NULL), count(*) FILTER (WHERE b IS NULL OR prev <> b) FROM c";
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
         rs.next();
         return new BeforeImageCheck(rs.getLong(1), rs.getLong(2));
      }
   }
}
