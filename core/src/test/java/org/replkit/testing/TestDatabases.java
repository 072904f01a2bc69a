package org.replkit.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fresh, empty databases for tests: a new PostgreSQL or MariaDB database (dropped again on close), or a
 * new in-memory H2 database. The servers are the machine's (PostgreSQL 127.0.0.1:5432 user postgres,
 * MariaDB 127.0.0.1:3306 user root), overridable with RK_PG_URL / RK_MARIADB_URL.
 *
 * <p>When a server is unreachable the test is skipped with a message saying so, except with CI=true,
 * where a missing server is a failure: CI must never pass by skipping.
 */
public final class TestDatabases
{
   public enum Kind
   {
      H2,
      POSTGRESQL,
      MARIADB
   }

   private static final String PG_ADMIN = env("RK_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
   private static final String MARIADB_ADMIN = env("RK_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root&password=");
   private static final Map<Kind, String> UNREACHABLE = new ConcurrentHashMap<>();

   private TestDatabases()
   {
   }

   private static String env(String name, String dflt)
   {
      final String v = System.getenv(name);
      return v == null || v.isBlank() ? dflt : v;
   }

   public static boolean ci()
   {
      return "true".equalsIgnoreCase(System.getenv("CI"));
   }

   /** A database the test made itself (an H2 database on a simulated volume, say); close() drops nothing. */
   public static TestDb at(Kind kind, String name, String url)
   {
      return new TestDb(kind, name, url, List.of());
   }

   /** A fresh database of the given kind; close() drops it. */
   public static TestDb create(Kind kind, String label)
   {
      final String name = ("rk_" + label + "_" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36)).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
      switch (kind) {
         case H2:
            return new TestDb(kind, name, "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", List.of());
         case POSTGRESQL: {
            admin(kind, PG_ADMIN, "CREATE DATABASE " + name);
            final String url = PG_ADMIN.replaceFirst("/test\\?", "/" + name + "?");
            return new TestDb(kind, name, url, List.of("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"));
         }
         case MARIADB: {
            admin(kind, MARIADB_ADMIN, "CREATE DATABASE " + name);
            final String url = MARIADB_ADMIN.replaceFirst("/test\\?", "/" + name + "?");
            return new TestDb(kind, name, url, List.of("DROP DATABASE IF EXISTS " + name, "DROP DATABASE IF EXISTS replkit_" + name));
         }
         default:
            throw new IllegalArgumentException(kind.toString());
      }
   }

   static void admin(Kind kind, String adminUrl, String sql)
   {
      final String down = UNREACHABLE.get(kind);
      if (down != null) {
         unreachable(kind, down);
      }
      try (Connection c = DriverManager.getConnection(adminUrl); Statement st = c.createStatement()) {
         st.execute(sql);
      }
      catch (SQLException e) {
         if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
            UNREACHABLE.put(kind, e.getMessage());
            unreachable(kind, e.getMessage());
         }
         throw new IllegalStateException(kind + ": " + sql + ": " + e.getMessage(), e);
      }
   }

   private static void unreachable(Kind kind, String why)
   {
      final String msg = kind + " is not reachable (" + why + "); start it as README.md says";
      if (ci()) {
         Assertions.fail(msg + " -- CI=true, so this is a failure, not a skip");
      }
      Assumptions.abort(msg + " -- skipped (set CI=true to make this a failure)");
   }

   /** A fresh database; {@link #url()} is the real driver's URL. */
   public static final class TestDb implements AutoCloseable
   {
      public final Kind kind;
      public final String name;
      private final String url;
      private final List<String> cleanup;
      private final List<Connection> keepAlive = new ArrayList<>();

      TestDb(Kind kind, String name, String url, List<String> cleanup)
      {
         this.kind = kind;
         this.name = name;
         this.url = url;
         this.cleanup = cleanup;
      }

      public String url()
      {
         return url;
      }

      /** The same database through the ReplKit driver, with extra ReplKit settings appended. */
      public String replkitUrl(String... settings)
      {
         final var sb = new StringBuilder("jdbc:replkit:").append(url.substring("jdbc:".length()));
         for (String s : settings) {
            sb.append(kind == Kind.H2 ? ';' : '&').append(s);
         }
         return sb.toString();
      }

      public Connection connect() throws SQLException
      {
         return DriverManager.getConnection(url);
      }

      /** Runs statements on a plain (non-ReplKit) connection. */
      public void exec(String... sql) throws SQLException
      {
         try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
               st.execute(s);
            }
         }
      }

      /** All rows of a table, ordered by the given columns, as text lines (for comparing two databases). */
      public List<String> rows(String table, String orderBy) throws SQLException
      {
         try (Connection c = connect()) {
            return TestDatabases.rows(c, table, orderBy);
         }
      }

      @Override
      public void close() throws SQLException
      {
         for (Connection c : keepAlive) {
            c.close();
         }
         if (kind == Kind.H2) {
            try (Connection c = connect(); Statement st = c.createStatement()) {
               st.execute("SHUTDOWN");
            }
            return;
         }
         for (String sql : cleanup) {
            admin(kind, kind == Kind.POSTGRESQL ? PG_ADMIN : MARIADB_ADMIN, sql);
         }
      }
   }

   public static List<String> rows(Connection c, String table, String orderBy) throws SQLException
   {
      final List<String> out = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table + " ORDER BY " + orderBy)) {
         final int n = rs.getMetaData().getColumnCount();
         while (rs.next()) {
            final var sb = new StringBuilder();
            for (int i = 1; i <= n; i++) {
               if (i > 1) {
                  sb.append(" | ");
               }
               // text forms are exact (fractions of seconds, scale); binary as hex
               final int type = rs.getMetaData().getColumnType(i);
               if (type == java.sql.Types.BINARY || type == java.sql.Types.VARBINARY || type == java.sql.Types.LONGVARBINARY || type == java.sql.Types.BLOB) {
                  final byte[] b = rs.getBytes(i);
                  sb.append(b == null ? "null" : java.util.HexFormat.of().formatHex(b));
               }
               else {
                  sb.append(rs.getString(i));
               }
            }
            out.add(sb.toString());
         }
      }
      return out;
   }
}
