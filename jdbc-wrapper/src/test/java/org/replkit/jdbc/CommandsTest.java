package org.replkit.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.DumpMarker;
import org.replkit.core.control.ControlDb;
import org.replkit.jdbc.capture.CaptureSession;
import org.replkit.jdbc.proxy.ConnectionProxy;
import org.replkit.procs.Commands;
import org.replkit.procs.Invocation;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ReplKit commands sent as SQL through {@code jdbc:replkit:}: lr_dump_marker runs on the caller's
 * connection and writes rk_meta; server commands go to a real control database, where a stand-in for the
 * replication server's command loop answers them through ControlDb; everything else reaches the database.
 */
class CommandsTest
{
   private static final String DUMP_SIG = "lr_dump_marker(position BIGINT = NULL, site VARCHAR = NULL)";

   private static ChangeLogSchema log(Connection plain) throws SQLException
   {
      final Dialect d = Dialect.of(plain);
      return new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, plain));
   }

   /** The dump-marker request recorded in the database's rk_meta, read on a plain connection. */
   private static Long requested(TestDb db) throws SQLException
   {
      try (Connection plain = db.connect()) {
         return DumpMarker.pending(plain, log(plain));
      }
   }

   private static long endOfLog(TestDb db) throws SQLException
   {
      try (Connection plain = db.connect()) {
         return new ChangeLogReader(log(plain), null).position(plain);
      }
   }

   private static long single(ResultSet rs, String column) throws SQLException
   {
      assertTrue(rs.next());
      final long v = rs.getLong(column);
      assertFalse(rs.next(), "one row");
      return v;
   }

   private static Properties settings(String control, String timeoutSeconds)
   {
      final Properties p = new Properties();
      if (control != null) {
         p.setProperty("replkit.control", control);
      }
      if (timeoutSeconds != null) {
         p.setProperty("replkit.commandTimeout", timeoutSeconds);
      }
      return p;
   }

   private static CaptureSession.TxState state(Connection c) throws SQLException
   {
      return c.unwrap(ConnectionProxy.class).captureSession().state();
   }

   // ---- lr_dump_marker: LOCAL, on the caller's connection ----

   @ParameterizedTest
   @EnumSource(Kind.class)
   void lrDumpMarkerRecordsItsPositionInRkMetaInEveryCallForm(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "dump_marker")) {
         db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            for (int i = 1; i <= 3; i++) {
               st.executeUpdate("INSERT INTO t VALUES (" + i + ", 'x')");
            }
            final long end = endOfLog(db);
            assertTrue(end >= 3, "three committed transactions: " + end);
            try (ResultSet rs = st.executeQuery("CALL lr_dump_marker()")) {
               assertEquals("position", rs.getMetaData().getColumnLabel(1));
               assertEquals(Types.BIGINT, rs.getMetaData().getColumnType(1));
               assertSame(st, rs.getStatement());
               assertEquals(end, single(rs, "position"), "without a position: the end of the log now");
            }
            assertEquals(end, requested(db));

            assertEquals(0, st.executeUpdate("CALL lr_dump_marker(2)"));
            assertEquals(2L, requested(db));
            assertTrue(st.execute("EXEC lr_dump_marker @position = '1'"));
            assertEquals(1L, single(st.getResultSet(), "position"));
            assertEquals(-1, st.getUpdateCount());
            assertFalse(st.getMoreResults());
            assertNull(st.getResultSet());
            assertEquals(1L, requested(db));
            st.execute("BEGIN lr_dump_marker(position => 3); END;");
            assertEquals(3L, requested(db));
            st.execute("lr_dump_marker 2");
            assertEquals(2L, requested(db));

            try (PreparedStatement ps = c.prepareStatement("{call lr_dump_marker(?)}")) {
               ps.setLong(1, 1);
               assertEquals(1L, single(ps.executeQuery(), "position"));
               assertEquals(1L, requested(db));
               ps.setInt(1, 3);
               assertEquals(0, ps.executeUpdate());
               assertEquals(3L, requested(db));
            }
            try (PreparedStatement ps = c.prepareStatement("CALL lr_dump_marker(position => ?, site => ?)")) {
               ps.setString(1, "2");
               ps.setNull(2, Types.VARCHAR);
               ps.execute();
               assertEquals(2L, requested(db));
            }
            try (CallableStatement cs = c.prepareCall("{? = call lr_dump_marker(?)}")) {
               cs.registerOutParameter(1, Types.BIGINT);
               cs.setLong(2, 1);
               cs.execute();
               assertEquals(1L, cs.getLong(1), "the return value of {? = call ...}");
               assertFalse(cs.wasNull());
               assertEquals(1L, requested(db));
            }
            try (CallableStatement cs = c.prepareCall("{call lr_dump_marker(?)}")) {
               cs.setLong("position", 3);
               cs.executeUpdate();
               assertEquals(3L, requested(db));
            }
            assertEquals(3, db.rows("t", "id").size(), "the table is untouched");
         }
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void lrDumpMarkerJoinsTheCallersTransactionWithoutDirtyingIt(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "dump_marker_tx")) {
         db.exec("CREATE TABLE t (id INT PRIMARY KEY)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO t VALUES (1)");
            final long end = endOfLog(db);
            c.setAutoCommit(false);
            st.execute("CALL lr_dump_marker(7)");
            assertEquals(CaptureSession.TxState.CLEAN, state(c), "a command is not a write to capture");
            c.rollback();
            assertNull(requested(db), "rolled back with the caller's transaction");
            st.execute("CALL lr_dump_marker(7)");
            c.commit();
            assertEquals(7L, requested(db));
            assertEquals(end, endOfLog(db), "no transaction was captured for the command");
         }
      }
   }

   // ---- malformed calls and signature errors: one case each, through the driver ----

   @ParameterizedTest(name = "{0}")
   @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "CALL lr_dump_marker('x')                          | 22023 | " + DUMP_SIG + ": position: 'x' is not a BIGINT",
      "CALL lr_dump_marker(1.5)                          | 22023 | " + DUMP_SIG + ": position: 1.5 is not a BIGINT",
      "CALL lr_dump_marker(site => TRUE)                 | 22023 | " + DUMP_SIG + ": site: true is not a VARCHAR",
      "CALL lr_dump_marker(1, 'a', 'b')                  | 42883 | " + DUMP_SIG + ": 3 arguments given, it takes at most 2",
      "CALL lr_dump_marker(pos => 1)                     | 42883 | " + DUMP_SIG + ": it has no parameter named pos",
      "CALL lr_dump_marker(1, position => 2)             | 42883 | " + DUMP_SIG + ": position is given twice",
      "CALL lr_dump_marker(position => 1, 'a')           | 42601 | " + DUMP_SIG + ": positional argument 2 follows a named one",
      "CALL lr_dump_marker(?)                            | 07001 | " + DUMP_SIG + ": no value was set for parameter 1 (?) of position",
      "CALL lr_dump_marker(-5)                           | 22023 | lr_dump_marker: position -5 is negative",
      "CALL lr_dump_marker(site => 'elsewhere')          | 22023 | " + DUMP_SIG + ": site 'elsewhere' is not this database's site",
      "EXEC sp_start_rep_agent @mode = 'resync'          | 42883 | sp_start_rep_agent(dbname VARCHAR, mode VARCHAR = NULL): dbname is required",
      "EXEC sp_start_rep_agent NULL                      | 22004 | sp_start_rep_agent(dbname VARCHAR, mode VARCHAR = NULL): dbname must not be NULL",
      "EXEC sp_start_rep_agent 'pdb', 'resync all'       | 22023 | mode 'resync all' is not one of 'resync', 'resync purge', 'resync init' (or NULL)",
      "EXEC sp_start_rep_agent @db = 'pdb'               | 42883 | sp_start_rep_agent(dbname VARCHAR, mode VARCHAR = NULL): it has no parameter named db",
      "CALL lr_dump_marker(1,                            | 42601 | " + DUMP_SIG + ": cannot parse",
      "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD('G', 'S') END;   | 42601 | DBMS_OFFLINE_OG.BEGIN_LOAD(gname VARCHAR, new_site VARCHAR): cannot parse",
      "CALL lr_dump_marker(1 + 2)                        | 42601 | " + DUMP_SIG + ": argument 1 (1 + 2) is not a literal",
      "CALL lr_dump_marker(:pos)                         | 42601 | " + DUMP_SIG + ": argument 1 is the named marker :pos; use ?",
      "CALL lr_dump_marker(site => E'x')                 | 42601 | " + DUMP_SIG + ": argument 1 (E'x') has the string prefix E",
      "EXEC sp_start_rep_agent @dbname = 'pdb' OUTPUT    | 42601 | sp_start_rep_agent",
      "BEGIN lr_dump_marker(1); DELETE FROM t; END;      | 0A000 | " + DUMP_SIG + ": ReplKit runs lr_dump_marker itself and cannot run it in one text with DELETE FROM t",
      "BEGIN lr_dump_marker(1); EXCEPTION WHEN OTHERS THEN NULL; END; | 0A000 | cannot run DECLARE or EXCEPTION sections",
      "ADMIN COMMAND hotstandby connect                  | 42601 | ADMIN COMMAND '<command>': expected one quoted command",
      "{call lr_dump_marker(1)                           | 42601 | " + DUMP_SIG + ": the JDBC escape '{call lr_dump_marker(1)' has no closing }",
   })
   void badCallsFailWithTheSignatureAndChangeNothing(String sql, String state, String message) throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "bad_call")) {
         db.exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=paris"))) {
            final SQLException statement = assertThrows(SQLException.class, () -> c.createStatement().execute(sql));
            assertEquals(state, statement.getSQLState(), statement.getMessage());
            assertTrue(statement.getMessage().contains(message), "'" + message + "' in: " + statement.getMessage());
            // prepared: the database never sees the text (H2 would refuse to prepare it); the error comes at execution
            try (PreparedStatement ps = c.prepareStatement(sql)) {
               final SQLException prepared = assertThrows(SQLException.class, ps::execute);
               assertEquals(state, prepared.getSQLState());
            }
         }
         assertNull(requested(db), "no dump marker was recorded");
         assertEquals(List.of("1"), db.rows("t", "id"), "nothing half-applied");
      }
   }

   @Test
   void commandsDoNotRunInBatches() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "cmd_batch"); Connection c = DriverManager.getConnection(db.replkitUrl())) {
         final Statement st = c.createStatement();
         st.addBatch("CALL lr_dump_marker(1)");
         assertEquals("0A000", assertThrows(SQLException.class, st::executeBatch).getSQLState());
         final PreparedStatement ps = c.prepareStatement("CALL lr_dump_marker(?)");
         ps.setLong(1, 1);
         assertEquals("0A000", assertThrows(SQLException.class, ps::addBatch).getSQLState());
         assertNull(requested(db));
      }
   }

   // ---- calls the registry does not know reach the database unchanged ----

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"POSTGRESQL", "MARIADB"})
   void unknownProceduresAreCalledInTheDatabaseAndCaptured(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "real_proc")) {
         db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))",
                 kind == Kind.POSTGRESQL ? "CREATE PROCEDURE add_row(i INT, s VARCHAR) LANGUAGE sql AS $$ INSERT INTO t VALUES (i, s) $$"
                                         : "CREATE PROCEDURE add_row(i INT, s VARCHAR(20)) INSERT INTO t VALUES (i, s)");
         final long before;
         try (Connection c = DriverManager.getConnection(db.replkitUrl())) {
            before = endOfLog(db); // the ReplKit connection installed the change log
            c.createStatement().execute("CALL add_row(1, 'a')");
            try (CallableStatement cs = c.prepareCall("CALL add_row(?, ?)")) { // pgjdbc turns {call} into SELECT, which a procedure refuses
               cs.setInt(1, 2);
               cs.setString(2, "b");
               cs.execute();
            }
         }
         assertEquals(List.of("1 | a", "2 | b"), db.rows("t", "id"));
         assertEquals(before + 2, endOfLog(db), "both calls wrote through the capture path");
      }
   }

   @Test
   void anUnknownNameGetsTheDatabasesOwnError() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "unknown_proc"); Connection c = DriverManager.getConnection(db.replkitUrl())) {
         final SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute("CALL lr_dump_markers(1)"));
         assertTrue(e.getClass().getName().startsWith("org.h2."), "H2 itself answered: " + e);
      }
   }

   // ---- SERVER commands through the control database ----

   /**
    * Stands in for the replication server's command loop (ReplicationServer.housekeeping): claims what is
    * pending through ControlDb, parses each text as the server does, and answers through ControlDb.
    */
   static final class CommandLoop implements AutoCloseable
   {
      final List<ControlDb.Command> seen = new CopyOnWriteArrayList<>();
      final List<Invocation> parsed = new CopyOnWriteArrayList<>();
      private final ControlDb control;
      private final Thread thread;
      private final AtomicReference<Throwable> failure = new AtomicReference<>();
      private volatile boolean running = true;

      CommandLoop(String url, Function<Invocation, String> answer) throws SQLException
      {
         this.control = new ControlDb(url, null, null);
         this.thread = new Thread(() -> {
            try {
               while (running) {
                  for (ControlDb.Command c : control.pendingCommands()) {
                     seen.add(c);
                     final Invocation call = Commands.parse(c.text());
                     parsed.add(call);
                     control.commandDone(c.id(), answer.apply(call));
                  }
                  Thread.sleep(10);
               }
            }
            catch (InterruptedException stop) {
               Thread.currentThread().interrupt(); // close() asked to stop
            }
            catch (Throwable t) {
               failure.set(t);
            }
         }, "fake-command-loop");
         thread.start();
      }

      List<String> texts()
      {
         return seen.stream().map(ControlDb.Command::text).toList();
      }

      @Override
      public void close() throws Exception
      {
         running = false;
         thread.join(5000);
         control.close();
         if (failure.get() != null) {
            throw new AssertionError("the command loop failed", failure.get());
         }
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void serverCommandsAreQueuedWithTheirCanonicalTextAndAnswered(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "cmd_server"); TestDb control = TestDatabases.create(Kind.H2, "control");
           CommandLoop server = new CommandLoop(control.url(), call -> "ran " + call.procedure().name())) {
         final List<String> expected = new ArrayList<>();
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=paris"), settings(control.url(), "10"));
              Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("EXEC sp_start_rep_agent 'pdb', 'RESYNC PURGE'")) {
               assertEquals("result", rs.getMetaData().getColumnLabel(1));
               assertTrue(rs.next());
               assertEquals("ran sp_start_rep_agent", rs.getString("result"));
               assertFalse(rs.next());
               assertSame(st, rs.getStatement());
            }
            expected.add("sp_start_rep_agent 'pdb', 'resync purge'");

            try (PreparedStatement ps = c.prepareStatement("EXECUTE sp_start_rep_agent @mode = ?, @dbname = ?")) {
               ps.setString(1, "resync init");
               ps.setString(2, "pdb");
               assertEquals(0, ps.executeLargeUpdate());
            }
            expected.add("sp_start_rep_agent 'pdb', 'resync init'");

            try (PreparedStatement ps = c.prepareStatement("{call DBMS_OFFLINE_OG.BEGIN_LOAD(?,?)}")) {
               ps.setString(1, "SPROCKET");
               ps.setString(2, "D7NY.BIGWHEEL.COM");
               assertTrue(ps.execute());
               assertEquals("ran DBMS_OFFLINE_OG.BEGIN_LOAD", ps.getResultSet().next() ? ps.getResultSet().getString(1) : null);
            }
            expected.add("DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM')");

            try (CallableStatement cs = c.prepareCall("{call DBMS_OFFLINE_OG.END_LOAD(?, ?)}")) {
               cs.setString("new_site", "D7NY.BIGWHEEL.COM");
               cs.setString("gname", "SPROCKET");
               assertEquals(0, cs.executeUpdate());
            }
            expected.add("DBMS_OFFLINE_OG.END_LOAD(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM')");

            try (PreparedStatement ps = c.prepareStatement("begin dbms_offline_og.end_instantiation(new_site => ?, gname => ?); end")) {
               ps.setString(1, "D7NY.BIGWHEEL.COM");
               ps.setString(2, "O'Brien");
               ps.executeQuery().close();
            }
            expected.add("DBMS_OFFLINE_OG.END_INSTANTIATION(gname => 'O''Brien', new_site => 'D7NY.BIGWHEEL.COM')");

            c.setAutoCommit(false);
            st.execute("ADMIN COMMAND 'hotstandby connect'");
            expected.add("ADMIN COMMAND 'hotstandby connect'");
            assertEquals(0, st.executeUpdate("resume connection to ds.db skip to\n    resync marker"));
            expected.add("resume connection to ds.db skip to resync marker");
            assertEquals(CaptureSession.TxState.CLEAN, state(c), "commands do not dirty the capture transaction");
            c.commit();

            // seed 004's block: three commands, in order
            st.execute("BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE( gname => 'SPROCKET', master =>'D7NY.BIGWHEEL.COM');; "
                       + "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); DBMS_OFFLINE_OG.BEGIN_INSTANTIATION( gname => 'SPROCKET', "
                       + "new_site => 'D7NY.BIGWHEEL.COM'); END;");
            expected.addAll(List.of("DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY.BIGWHEEL.COM')",
                                    "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET')",
                                    "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM')"));
            assertEquals("ran DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", st.getResultSet().next() ? st.getResultSet().getString(1) : null,
                         "a block's result is its last call's");

            assertEquals(expected, server.texts());
            assertEquals(Map.of("dbname", "pdb", "mode", "resync purge"), server.parsed.get(0).args(), "the server gets typed arguments");
            assertEquals("O'Brien", server.parsed.get(4).string("gname"));
            final String user = c.getMetaData().getUserName();
            for (ControlDb.Command cmd : server.seen) {
               assertEquals("paris", cmd.site(), cmd.text());
               assertEquals(user, cmd.user(), cmd.text());
            }
         }
      }
   }

   @Test
   void errorAnswersBecomeSQLExceptionsWithTheirCodes() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "cmd_errors"); TestDb control = TestDatabases.create(Kind.H2, "control_err");
           CommandLoop server = new CommandLoop(control.url(), call -> switch (call.procedure().name()) {
              case "DBMS_OFFLINE_OG.BEGIN_LOAD" -> "error: ORA-23431: wrongstate: group " + call.string("gname") + " is not in NORMAL state";
              case "ra_init" -> "error: 15007 the truncation point has not moved";
              default -> "error: connection ds.db is not suspended; suspend it first";
           }); Connection c = DriverManager.getConnection(db.replkitUrl(), settings(control.url(), "10"))) {
         final Statement st = c.createStatement();
         final SQLException ora = assertThrows(SQLException.class, () -> st.execute("BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD('SPROCKET', 'D7NY'); END;"));
         assertEquals("ORA-23431: wrongstate: group SPROCKET is not in NORMAL state", ora.getMessage());
         assertEquals(-23431, ora.getErrorCode());
         assertEquals("72000", ora.getSQLState());
         final SQLException numbered = assertThrows(SQLException.class, () -> st.execute("ra_init force"));
         assertEquals(15007, numbered.getErrorCode());
         assertEquals("55000", numbered.getSQLState());
         final SQLException plain = assertThrows(SQLException.class, () -> st.executeUpdate("resume connection to ds.db skip to resync marker"));
         assertEquals("connection ds.db is not suspended; suspend it first", plain.getMessage());
         assertEquals("55000", plain.getSQLState());
         assertEquals(0, plain.getErrorCode());
      }
   }

   @Test
   void aCommandNoServerPicksUpTimesOutAndIsWithdrawn() throws Exception
   {
      // a control database with a password in its URL; kept alive by one connection for the test's length
      final String url = "jdbc:h2:mem:rk_control_timeout_" + Long.toString(System.nanoTime(), 36) + ";PASSWORD=secret";
      try (TestDb db = TestDatabases.create(Kind.H2, "cmd_timeout"); Connection keep = DriverManager.getConnection(url)) {
         new ControlDb(url, null, null).close(); // installed, empty
         try (Connection c = DriverManager.getConnection(db.replkitUrl(), settings(url, "0.3"))) {
            final long t0 = System.nanoTime();
            final SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute("EXEC sp_start_rep_agent 'pdb', 'resync'"));
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertInstanceOf(SQLTimeoutException.class, e);
            assertTrue(e.getMessage().startsWith("no replication server picked the command up from " + Dialect.redact(url) + " within 0.3 s"),
                       e.getMessage());
            assertTrue(e.getMessage().contains("withdrawn"), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), "the control URL's password is not shown: " + e.getMessage());
            assertTrue(ms >= 300 && ms < 5000, "waited the timeout: " + ms + " ms");
         }
         try (ResultSet rs = keep.createStatement().executeQuery("SELECT COUNT(*), MAX(id) FROM rs_commands")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "the row was withdrawn");
         }
         try (ControlDb late = new ControlDb(url, null, null)) {
            assertTrue(late.pendingCommands().isEmpty(), "a server started later finds nothing to run");
            assertTrue(late.submit("admin who") > 1, "a command had been queued (the identity moved past it) before it was withdrawn");
         }
      }
   }

   @Test
   void serverCommandsWithoutAControlDatabaseSayWhatIsMissing() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "cmd_nocontrol"); Connection c = DriverManager.getConnection(db.replkitUrl())) {
         final SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute("EXEC sp_start_rep_agent 'pdb', 'resync'"));
         assertEquals("sp_start_rep_agent needs the replication server: set replkit.control to the control database URL", e.getMessage());
         assertEquals("55000", e.getSQLState());
         final SQLException text = assertThrows(SQLException.class, () -> c.prepareStatement("suspend").execute());
         assertEquals("suspend needs the replication server: set replkit.control to the control database URL", text.getMessage());
         assertEquals(1L, single(c.createStatement().executeQuery("CALL lr_dump_marker(1)"), "position"), "LOCAL procedures need no server");
      }
   }

   @Test
   void commandTimeoutSettingIsChecked()
   {
      final SQLException e = assertThrows(SQLException.class, () -> ReplKitConfig.of(Map.of("commandTimeout", "soon")));
      assertTrue(e.getMessage().contains("replkit.commandTimeout") && e.getMessage().contains("'soon'"), e.getMessage());
   }
}
