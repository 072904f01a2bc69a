package org.replkit.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.util.PSQLException;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.jdbc.proxy.ConnectionProxy;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

import static org.junit.jupiter.api.Assertions.*;

/** JDBC behaviour of the wrapper: pools, unwrap, JDBC 4.3 calls, exceptions, and every path back to the connection. */
class DriverTest
{
   private static long committed(TestDb db) throws SQLException
   {
      try (Connection c = db.connect()) {
         final Dialect d = Dialect.of(c);
         return new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "t").read(c, 0, 10_000).size();
      }
   }

   @Test
   void hikariWithDriverClassNameAndJdbcUrl() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "hikari_driver")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         final HikariConfig cfg = new HikariConfig();
         cfg.setDriverClassName(ReplKitDriver.class.getName());
         cfg.setJdbcUrl(db.replkitUrl("replkit.site=H"));
         cfg.setMaximumPoolSize(2);
         try (HikariDataSource ds = new HikariDataSource(cfg)) {
            for (int i = 0; i < 5; i++) {
               try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO acct VALUES (?, ?)")) {
                  ps.setInt(1, i);
                  ps.setInt(2, i);
                  ps.executeUpdate();
                  assertTrue(c.isWrapperFor(ConnectionProxy.class));
                  assertNotNull(c.unwrap(PGConnection.class), "vendor classes reachable through the pool and ReplKit");
               }
            }
            // a transaction left open is rolled back by the pool on return: its records go with it
            try (Connection c = ds.getConnection()) {
               c.setAutoCommit(false);
               c.createStatement().executeUpdate("INSERT INTO acct VALUES (99, 99)");
            }
         }
         assertEquals(5, committed(db));
         assertEquals(5, db.rows("acct", "id").size());
      }
   }

   @Test
   void wrappingADataSourceThatHandsOutConnectionsWithoutAutocommit() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "noauto")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         final HikariConfig cfg = new HikariConfig();
         cfg.setJdbcUrl(db.url());
         cfg.setAutoCommit(false);
         cfg.setMaximumPoolSize(1);
         try (HikariDataSource pool = new HikariDataSource(cfg)) {
            final ReplKitDataSource ds = new ReplKitDataSource(pool, Map.of());
            try (Connection c = ds.getConnection()) {
               c.rollback(); // the connection's first transaction rolls back
               c.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)");
               c.commit();
            }
         }
         assertEquals(1, committed(db));
      }
   }

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"POSTGRESQL", "MARIADB"})
   void hikariWithAWrappedDataSource(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "hikari_ds")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         final DataSource vendor;
         if (kind == Kind.POSTGRESQL) {
            final PGSimpleDataSource pg = new PGSimpleDataSource();
            pg.setUrl(db.url());
            vendor = pg;
         }
         else {
            vendor = new org.mariadb.jdbc.MariaDbDataSource(db.url());
         }
         final HikariConfig cfg = new HikariConfig();
         cfg.setDataSource(new ReplKitDataSource(vendor, Map.of("site", "DS")));
         cfg.setMaximumPoolSize(2);
         try (HikariDataSource ds = new HikariDataSource(cfg); Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)");
            c.createStatement().executeUpdate("INSERT INTO acct VALUES (2, 2)");
            c.commit();
            c.setAutoCommit(true);
         }
         assertEquals(1, committed(db));
      }
   }

   @Test
   void everyPathBackLeadsToTheReplKitConnection() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "paths")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl())) {
            assertInstanceOf(ConnectionProxy.class, c);
            final Statement st = c.createStatement();
            assertSame(c, st.getConnection());
            final ResultSet rs = st.executeQuery("SELECT * FROM acct");
            assertSame(st, rs.getStatement());
            assertSame(c, rs.getStatement().getConnection());
            final PreparedStatement ps = c.prepareStatement("SELECT 1");
            assertSame(c, ps.getConnection());
            assertSame(ps, ps.executeQuery().getStatement());
            final CallableStatement cs = c.prepareCall("CALL 1");
            assertSame(c, cs.getConnection());
            assertSame(c, c.getMetaData().getConnection());
            assertInstanceOf(org.h2.jdbc.JdbcConnection.class, c.unwrap(org.h2.jdbc.JdbcConnection.class));
            assertTrue(c.isWrapperFor(org.h2.jdbc.JdbcConnection.class));
            assertSame(c, c.unwrap(Connection.class), "ReplKit's own connection first, as HikariCP does");
         }
      }
   }

   @Test
   void sqlExceptionsPassThroughUnchanged() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "errors")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)");
         final SQLException raw;
         try (Connection c = db.connect()) {
            raw = assertThrows(SQLException.class, () -> c.createStatement().executeQuery("SELEC 1"));
         }
         try (Connection c = DriverManager.getConnection(db.replkitUrl())) {
            final SQLException wrapped = assertThrows(SQLException.class, () -> c.createStatement().executeQuery("SELEC 1"));
            assertInstanceOf(PSQLException.class, wrapped);
            assertEquals(raw.getSQLState(), wrapped.getSQLState());
            c.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)");
            final SQLException dup = assertThrows(SQLException.class, () -> c.createStatement().executeUpdate("INSERT INTO acct VALUES (1, 1)"));
            assertEquals("23505", dup.getSQLState());
         }
         final SQLException down = assertThrows(SQLException.class,
                                                () -> DriverManager.getConnection("jdbc:replkit:postgresql://127.0.0.1:1/nowhere?user=postgres&connectTimeout=2"));
         assertTrue(down.getSQLState().startsWith("08"), down.getSQLState());
      }
   }

   @Test
   void jdbc43CallsReachTheRealConnection() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "jdbc43")) {
         final List<String> seen = Collections.synchronizedList(new ArrayList<>());
         final org.h2.jdbcx.JdbcDataSource h2 = new org.h2.jdbcx.JdbcDataSource();
         h2.setURL(db.url());
         // H2's own connection ignores request boundaries, so a recording layer shows what reached the real connection
         final DataSource recording = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, a) -> {
            final Object r = invoke(m, h2, a);
            if (m.getName().equals("getConnection")) {
               final Connection real = (Connection) r;
               return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (p2, m2, a2) -> {
                  if (m2.getName().equals("beginRequest") || m2.getName().equals("endRequest") || m2.getName().startsWith("setShardingKey")) {
                     seen.add(m2.getName());
                     return m2.getReturnType() == boolean.class ? Boolean.TRUE : null;
                  }
                  return invoke(m2, real, a2);
               });
            }
            return r;
         });
         try (Connection c = new ReplKitDataSource(recording, Map.of()).getConnection()) {
            c.beginRequest();
            c.setShardingKey(null);
            assertTrue(c.setShardingKeyIfValid(null, 1));
            c.endRequest();
         }
         assertEquals(List.of("beginRequest", "setShardingKey", "setShardingKeyIfValid", "endRequest"), seen);
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void captureLeavesTheSessionsGeneratedKeysAlone(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "lastval")) {
         switch (kind) {
            case POSTGRESQL -> db.exec("CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, item TEXT)", "SELECT setval('orders_id_seq', 41)");
            case MARIADB -> db.exec("CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, item TEXT) AUTO_INCREMENT = 42");
            case H2 -> db.exec("CREATE TABLE orders (id BIGINT GENERATED BY DEFAULT AS IDENTITY (START WITH 42) PRIMARY KEY, item VARCHAR(10))");
         }
         final String last = switch (kind) {
            case POSTGRESQL -> "SELECT lastval()";
            case MARIADB -> "SELECT LAST_INSERT_ID()";
            case H2 -> "SELECT 0"; // H2 2.x has no session-level last-identity function outside compatibility modes
         };
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            for (boolean auto : new boolean[] {true, false}) {
               c.setAutoCommit(auto);
               st.executeUpdate("INSERT INTO orders (item) VALUES ('a')", Statement.RETURN_GENERATED_KEYS);
               final long expected = auto ? 42 : 43;
               try (ResultSet keys = st.getGeneratedKeys()) {
                  assertTrue(keys.next());
                  assertEquals(expected, keys.getLong(1));
               }
               if (kind != Kind.H2) {
                  try (ResultSet rs = st.executeQuery(last)) {
                     rs.next();
                     assertEquals(expected, rs.getLong(1), last + " is the application's, not the change log's");
                  }
               }
               if (!auto && kind != Kind.H2) {
                  c.commit();
                  try (ResultSet rs = st.executeQuery(last)) {
                     rs.next();
                     assertEquals(expected, rs.getLong(1), last + " after commit");
                  }
               }
            }
            c.setAutoCommit(true);
         }
      }
   }

   @Test
   void explicitInstallListsCapturedAndRefusedTables() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "install")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)", "CREATE TABLE loose (v INT)");
         final var out = new java.io.ByteArrayOutputStream();
         assertEquals(1, Install.install(db.replkitUrl("replkit.site=I"), new java.io.PrintStream(out, true)));
         final String text = out.toString();
         assertTrue(text.contains("captured PUBLIC.ACCT key (ID)") && text.contains("refused  PUBLIC.LOOSE: no primary key") && text.contains("site I"), text);
      }
   }

   private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable
   {
      try {
         return m.invoke(target, args);
      }
      catch (InvocationTargetException e) {
         throw e.getCause();
      }
   }

   @ParameterizedTest
   @EnumSource(value = Kind.class, names = {"POSTGRESQL", "MARIADB"})
   void callableStatementsAreCaptured(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "callable")) {
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)",
                 kind == Kind.POSTGRESQL ? "CREATE PROCEDURE add_acct(i INT) LANGUAGE SQL AS $$ INSERT INTO acct VALUES (i, i * 10) $$"
                                         : "CREATE PROCEDURE add_acct(IN i INT) INSERT INTO acct VALUES (i, i * 10)");
         try (Connection c = DriverManager.getConnection(db.replkitUrl())) {
            try (CallableStatement cs = c.prepareCall(kind == Kind.POSTGRESQL ? "CALL add_acct(?)" : "{call add_acct(?)}")) {
               cs.setInt(1, 7);
               cs.execute();
            }
            c.setAutoCommit(false);
            try (CallableStatement cs = c.prepareCall(kind == Kind.POSTGRESQL ? "CALL add_acct(?)" : "{call add_acct(?)}")) {
               cs.setInt(1, 8);
               cs.addBatch();
               cs.setInt(1, 9);
               cs.addBatch();
               cs.executeBatch();
            }
            c.commit();
         }
         assertEquals(2, committed(db));
         assertEquals(List.of("7 | 70", "8 | 80", "9 | 90"), db.rows("acct", "id"));
      }
   }
}
