package org.replkit.liquibase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.Consumer;

import liquibase.Scope;
import liquibase.database.Database;
import liquibase.statement.SqlStatement;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change that runs a whole procedure of a seed as a {@link Procedure}: steps across sites, each over its own
 * connection, recorded so that a rerun continues where a failure stopped it. Under update-sql it prints the
 * steps (statements, and comments for in-process work) and does nothing.
 */
public abstract class CompositeChange extends ReplKitChange
{
   private static final Logger LOG = LoggerFactory.getLogger(CompositeChange.class);
   /** SQLState of an {@link #await} that timed out. */
   static final String TIMED_OUT = "RK004";

   /** The steps, from valid attributes; {@code out} receives progress lines. */
   abstract Procedure procedure(Consumer<String> out);

   /** The first update-sql comment line: what this procedure does to what. */
   abstract String header();

   /** The attributes that tell two runs of this composite apart within a changeset (never URLs: they may hold passwords). */
   abstract String identity();

   @Override
   protected void check(List<String> problems)
   {
      if (getChangeSet() != null && getChangeSet().getChanges().size() > 1) {
         problems.add("must be the only change in its changeset: its steps commit their progress one by one,"
                      + " which would also commit the other changes of the changeset halfway");
      }
   }

   final String procedureIdentity()
   {
      return (getChangeSet() == null ? "" : getChangeSet().toString(false) + "::") + name() + "(" + identity() + ")";
   }

   @Override
   protected SqlStatement[] statements(Database database)
   {
      final List<String> preview = procedure(line -> { }).preview(header());
      if (dryRun(database)) {
         return preview.stream().map(ReplKitStatements.Text::new).toArray(SqlStatement[]::new);
      }
      return new SqlStatement[]{new ReplKitStatements.Task(String.join("\n", preview), database,
                                                           c -> procedure(CompositeChange::say).run(c))};
   }

   @Override
   protected String noRollback()
   {
      return "its steps change several sites and the replication server, and have no inverse procedure.";
   }

   @Override
   public String getConfirmationMessage()
   {
      return name() + " done: " + header();
   }

   /** A progress line for the person running Liquibase, and for the log. */
   static void say(String line)
   {
      LOG.info(line);
      Scope.getCurrentScope().getUI().sendMessage(line);
   }

   /** A report line that may name keys (verify): shown to the person running Liquibase, logged only at DEBUG. */
   static void show(String line)
   {
      LOG.debug(line);
      Scope.getCurrentScope().getUI().sendMessage(line);
   }

   // ---------------------------------------------------------------- step actions

   /** Sends one procedure call or command over a connection of its own to {@code url} (a jdbc:replkit: URL). */
   static Procedure.Action sql(String url, String where, String sql)
   {
      return p -> {
         try (Connection c = Jdbc.open(url, where); Statement st = c.createStatement()) {
            st.execute(sql);
         }
         return null;
      };
   }

   /** The text in the last column of the first row a command returns (solidDB's ADMIN COMMAND answers RC, TEXT). */
   static String answer(String url, String where, String sql) throws SQLException
   {
      try (Connection c = Jdbc.open(url, where); Statement st = c.createStatement()) {
         if (!st.execute(sql)) {
            throw new SQLException(sql + " returned no result at " + where, "RK003");
         }
         try (ResultSet rs = st.getResultSet()) {
            if (!rs.next()) {
               throw new SQLException(sql + " returned no row at " + where, "RK003");
            }
            final String v = rs.getString(rs.getMetaData().getColumnCount());
            return v == null ? "" : v.trim();
         }
      }
   }

   /** Polls {@code probe} every 200 ms until it returns null (done) or the timeout passes; a probe may throw to fail. */
   static void await(long timeoutSeconds, String what, Probe probe) throws Exception
   {
      final long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
      String last = probe.waitingFor();
      while (last != null) {
         if (System.nanoTime() > deadline) {
            throw new SQLException("timed out after " + timeoutSeconds + " s waiting for " + what + "; last seen: " + last, TIMED_OUT);
         }
         Thread.sleep(200);
         last = probe.waitingFor();
      }
   }

   @FunctionalInterface
   interface Probe
   {
      /** Null when the awaited condition holds; otherwise what is seen now. */
      String waitingFor() throws Exception;
   }
}
