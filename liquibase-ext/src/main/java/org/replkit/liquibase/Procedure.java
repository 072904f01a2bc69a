package org.replkit.liquibase;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the steps of a composite change (offlineInstantiation, resyncFromDump, hotstandbySync) in order, recording
 * each in the progress table {@value #TABLE} of the Liquibase target database, so that a failing step stops the
 * procedure with a message naming it and the next {@code update} continues at the first step not done.
 *
 * <p>The table lives next to DATABASECHANGELOG because that is the one database every Liquibase run reaches and
 * whose lock (DATABASECHANGELOGLOCK) already keeps two runs of a changelog apart; the control database is not
 * known to every composite. Each record is committed at once on the Liquibase connection, so it survives the
 * rollback Liquibase performs when the changeset fails; that is why a composite must be alone in its changeset.
 *
 * <p>Step states, all transitions in {@link Step#to}:
 * <pre>
 *   PENDING --started-------------------------> RUNNING
 *   RUNNING --succeeded-----------------------> DONE      (terminal; a rerun skips it)
 *   RUNNING --failed--------------------------> FAILED    (the procedure stops here)
 *   FAILED  --rerun---------------------------> RUNNING
 *   RUNNING --rerun after an interrupted run--> RUNNING   (the process died inside the step: it runs again)
 * </pre>
 * A step that was interrupted is run again, so every step must be safe to repeat or refuse clearly when its
 * effect is already there (the marker procedures and DBMS_OFFLINE_OG calls check their group's state).
 */
final class Procedure
{
   static final String TABLE = "replkit_progress";
   private static final Logger LOG = LoggerFactory.getLogger(Procedure.class);

   enum State
   {
      PENDING,
      RUNNING,
      DONE,
      FAILED
   }

   /** What a step does. Returns the detail to record (e.g. {@code position=42}), or null. */
   @FunctionalInterface
   interface Action
   {
      String run(Procedure p) throws Exception;
   }

   /**
    * One step: its seed label ("6 lr_dump_marker"), where it runs, its update-sql preview (a statement, or comment
    * lines for in-process work) and its action.
    */
   static final class Step
   {
      final String label;
      final String where;
      final String preview;
      final Action action;
      State state = State.PENDING;
      String detail;

      Step(String label, String where, String preview, Action action)
      {
         this.label = label;
         this.where = where;
         this.preview = preview;
         this.action = action;
      }

      void to(State next, String why)
      {
         final boolean allowed = switch (state) {
            case PENDING -> next == State.RUNNING;
            case RUNNING -> next == State.DONE || next == State.FAILED || next == State.RUNNING;
            case FAILED -> next == State.RUNNING;
            case DONE -> false;
         };
         if (!allowed) {
            throw new IllegalStateException("step " + label + ": " + state + " -> " + next + " is not a step transition (" + why + ")");
         }
         LOG.debug("step {}: {} -> {} ({})", label, state, next, why);
         state = next;
      }
   }

   private final String change;
   private final String identity;
   private final String key;
   private final List<Step> steps = new ArrayList<>();
   private final Consumer<String> out;

   /**
    * @param change   the composite's name
    * @param identity what makes this run of the procedure itself (changeset path::id::author, change, attributes):
    *                 rows are keyed by its digest
    */
   Procedure(String change, String identity, Consumer<String> out)
   {
      this.change = change;
      this.identity = identity;
      this.key = digest(identity);
      this.out = out;
   }

   Procedure step(String label, String where, String preview, Action action)
   {
      steps.add(new Step(label, where, preview, action));
      return this;
   }

   List<Step> steps()
   {
      return steps;
   }

   /** The detail recorded by the step whose label starts with {@code labelPrefix} (done in this run or an earlier one). */
   String detail(String labelPrefix)
   {
      for (Step s : steps) {
         if (s.label.startsWith(labelPrefix)) {
            return s.detail;
         }
      }
      throw new IllegalArgumentException("no step " + labelPrefix);
   }

   /** update-sql: a header, then per step a comment naming it and where it runs, then its statement or comment. */
   List<String> preview(String header)
   {
      final List<String> texts = new ArrayList<>();
      texts.add("-- " + header + "\n-- " + steps.size() + " steps, each over its own connection; progress is recorded in table "
                + TABLE + " of this database and a rerun continues at the first step not done");
      for (int i = 0; i < steps.size(); i++) {
         final Step s = steps.get(i);
         texts.add("-- " + change + " step " + (i + 1) + " of " + steps.size() + ": " + s.label + ", at " + s.where + "\n" + s.preview);
      }
      return texts;
   }

   /** Runs every step not yet done; throws naming the step that failed. */
   void run(Connection progress) throws SQLException
   {
      install(progress);
      load(progress);
      for (int i = 0; i < steps.size(); i++) {
         final Step s = steps.get(i);
         final String name = change + " step " + (i + 1) + " of " + steps.size() + " (" + s.label + ", at " + s.where + ")";
         if (s.state == State.DONE) {
            out.accept(name + ": already done" + (s.detail == null ? "" : " (" + s.detail + ")"));
            continue;
         }
         s.to(State.RUNNING, s.state == State.PENDING ? "started" : s.state == State.FAILED ? "rerun" : "rerun after an interrupted run");
         s.detail = null;
         save(progress, i, s, null);
         out.accept(name + ": running");
         try {
            s.detail = s.action.run(this);
         }
         catch (Exception e) {
            final String cause = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            s.to(State.FAILED, cause);
            save(progress, i, s, cause);
            LOG.warn("{} failed", name); // the cause goes to Liquibase's error, not the log: it may name rows (verify)
            LOG.debug("{} failed: {}", name, cause);
            throw new SQLException(name + " failed: " + cause + ". Steps before it are done and recorded in " + TABLE
                                   + "; fix the cause and run update again to continue at step " + (i + 1) + ".", "RK001", e);
         }
         s.to(State.DONE, "succeeded");
         save(progress, i, s, s.detail);
         out.accept(name + ": done" + (s.detail == null ? "" : " (" + s.detail + ")"));
      }
   }

   // ---------------------------------------------------------------- the progress table

   private static void install(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement()) {
         st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (procedure_key CHAR(32) NOT NULL, step INT NOT NULL,"
                    + " procedure_name VARCHAR(1000) NOT NULL, step_label VARCHAR(200) NOT NULL, state VARCHAR(16) NOT NULL,"
                    + " detail VARCHAR(4000), updated_at TIMESTAMP NOT NULL, PRIMARY KEY (procedure_key, step))");
      }
      commit(c);
   }

   private void load(Connection c) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT step, step_label, state, detail FROM " + TABLE + " WHERE procedure_key = ? ORDER BY step")) {
         ps.setString(1, key);
         try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
               final int i = rs.getInt(1);
               final String label = rs.getString(2);
               if (i >= steps.size() || !steps.get(i).label.equals(label)) {
                  throw new SQLException(change + ": " + TABLE + " holds progress for a different list of steps (step " + (i + 1) + " was '"
                                         + label + "'" + (i < steps.size() ? ", now '" + steps.get(i).label + "'" : "") + "). Delete its rows ("
                                         + "procedure_key = '" + key + "') to start this procedure over.", "RK002");
               }
               steps.get(i).state = State.valueOf(rs.getString(3));
               steps.get(i).detail = rs.getString(4);
            }
         }
      }
   }

   private void save(Connection c, int i, Step s, String detail) throws SQLException
   {
      final String d = detail == null ? null : detail.length() > 4000 ? detail.substring(0, 4000) : detail;
      final Timestamp now = Timestamp.from(Instant.now());
      try (PreparedStatement up = c.prepareStatement("UPDATE " + TABLE + " SET state = ?, detail = ?, updated_at = ? WHERE procedure_key = ? AND step = ?")) {
         up.setString(1, s.state.name());
         up.setString(2, d);
         up.setTimestamp(3, now);
         up.setString(4, key);
         up.setInt(5, i);
         if (up.executeUpdate() == 0) {
            try (PreparedStatement in = c.prepareStatement("INSERT INTO " + TABLE + " (procedure_key, step, procedure_name, step_label, state, detail, updated_at)"
                                                           + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
               in.setString(1, key);
               in.setInt(2, i);
               in.setString(3, identity.length() > 1000 ? identity.substring(0, 1000) : identity);
               in.setString(4, s.label);
               in.setString(5, s.state.name());
               in.setString(6, d);
               in.setTimestamp(7, now);
               in.executeUpdate();
            }
         }
      }
      commit(c);
   }

   /** Committed at once: Liquibase rolls its connection back when the changeset fails, and the record must stay. */
   private static void commit(Connection c) throws SQLException
   {
      if (!c.getAutoCommit()) {
         c.commit();
      }
   }

   static String digest(String s)
   {
      try {
         return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
      }
      catch (NoSuchAlgorithmException e) {
         throw new IllegalStateException("MD5 is part of every Java runtime", e);
      }
   }
}
