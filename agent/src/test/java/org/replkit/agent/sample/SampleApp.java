package org.replkit.agent.sample;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A small application that knows nothing of ReplKit (its class path has no ReplKit jar): it writes a few
 * orders through plain DriverManager JDBC or through HikariCP. The agent tests run it in a JVM of its own.
 *
 * <pre>
 * SampleApp plain|hikari|datasource|isolated orders|readwrite|connect &lt;jdbc url&gt;...
 *   hikari: HikariCP with jdbcUrl, except H2 URLs, which go through H2's JdbcDataSource (setDataSource)
 *   datasource: the vendor's DataSource, no pool (H2 JdbcDataSource, PostgreSQL PGSimpleDataSource)
 *   isolated: the driver from a class loader of its own that sees only the driver's jar, as in a container
 *   orders: four committed transactions and one rolled back, on table shop_order(id, item, qty)
 *   readwrite: twice, on a fresh connection: read the orders, then try to write one
 *   connect: open one connection and print how that failed, if it did
 * </pre>
 */
public final class SampleApp
{
   interface Source
   {
      Connection get() throws SQLException;
   }

   public static void main(String[] args) throws Exception
   {
      final List<HikariDataSource> pools = new ArrayList<>();
      for (int i = 2; i < args.length; i++) {
         final String url = args[i];
         final Source source;
         if (args[0].equals("hikari")) {
            final HikariConfig config = new HikariConfig();
            if (url.startsWith("jdbc:h2:")) {
               final org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
               ds.setURL(url);
               config.setDataSource(ds);
            }
            else {
               config.setJdbcUrl(url);
            }
            config.setMaximumPoolSize(2);
            final HikariDataSource pool = new HikariDataSource(config);
            pools.add(pool);
            source = pool::getConnection;
         }
         else if (args[0].equals("isolated")) {
            final java.sql.Driver driver = isolatedDriver(url);
            source = () -> driver.connect(url, new java.util.Properties());
         }
         else if (args[0].equals("datasource")) {
            final javax.sql.DataSource ds = vendorDataSource(url);
            source = ds::getConnection;
         }
         else {
            source = () -> DriverManager.getConnection(url);
         }
         if (args[1].equals("orders")) {
            orders(source);
         }
         else if (args[1].equals("connect")) {
            try (Connection c = source.get()) {
               System.out.println("connect: done");
            }
            catch (SQLException e) {
               System.out.println("connect: failed: " + e.getClass().getName() + " " + e.getSQLState() + " " + e.getMessage());
            }
         }
         else {
            readWrite(source);
         }
      }
      pools.forEach(HikariDataSource::close);
   }

   /**
    * The driver loaded the way a container loads an application's driver: by a loader of its own whose
    * parent is the platform loader, so it sees nothing on the class path (no agent classes either).
    */
   private static java.sql.Driver isolatedDriver(String url) throws Exception
   {
      final String name = url.startsWith("jdbc:h2:") ? "h2" : "postgresql";
      final List<java.net.URL> jars = new ArrayList<>();
      for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
         if (e.matches(".*[/\\\\]" + name + "-[0-9][^/\\\\]*\\.jar")) {
            jars.add(java.nio.file.Path.of(e).toUri().toURL());
         }
      }
      final ClassLoader loader = new java.net.URLClassLoader(jars.toArray(new java.net.URL[0]), ClassLoader.getPlatformClassLoader());
      Thread.currentThread().setContextClassLoader(loader);
      return (java.sql.Driver) loader.loadClass(name.equals("h2") ? "org.h2.Driver" : "org.postgresql.Driver").getConstructor().newInstance();
   }

   private static javax.sql.DataSource vendorDataSource(String url)
   {
      if (url.startsWith("jdbc:h2:")) {
         final org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
         ds.setURL(url);
         return ds;
      }
      final org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
      ds.setURL(url);
      return ds;
   }

   private static void orders(Source source) throws SQLException
   {
      try (Connection c = source.get(); Statement st = c.createStatement()) {
         describe(c);
         st.executeUpdate("INSERT INTO shop_order VALUES (1, 'apple', 3)");
      }
      try (Connection c = source.get(); Statement st = c.createStatement()) {
         describe(c);
         c.setAutoCommit(false);
         st.executeUpdate("INSERT INTO shop_order VALUES (2, 'pear', 1), (3, 'plum', 7)");
         st.executeUpdate("UPDATE shop_order SET qty = qty + 1 WHERE id = 1");
         c.commit();
         st.executeUpdate("INSERT INTO shop_order VALUES (4, 'never', 0)");
         c.rollback();
         c.setAutoCommit(true);
      }
      try (Connection c = source.get(); PreparedStatement ps = c.prepareStatement("INSERT INTO shop_order VALUES (?, ?, ?)")) {
         describe(c);
         c.setAutoCommit(false);
         for (int id = 10; id < 15; id++) {
            ps.setInt(1, id);
            ps.setString(2, "item" + id);
            ps.setInt(3, id * 2);
            ps.addBatch();
         }
         ps.executeBatch();
         c.commit();
         c.setAutoCommit(true);
      }
      try (Connection c = source.get(); PreparedStatement ps = c.prepareStatement("DELETE FROM shop_order WHERE id = ?")) {
         describe(c);
         ps.setInt(1, 3);
         ps.executeUpdate();
      }
   }

   private static void readWrite(Source source) throws SQLException
   {
      for (int round = 0; round < 2; round++) {
         try (Connection c = source.get(); Statement st = c.createStatement()) {
            describe(c);
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM shop_order")) {
               rs.next();
               System.out.println("read: " + rs.getInt(1) + " orders");
            }
            try {
               st.executeUpdate("INSERT INTO shop_order VALUES (" + (100 + round) + ", 'late', 1)");
               System.out.println("write: done");
            }
            catch (SQLException e) {
               System.out.println("write: refused: " + e.getMessage());
            }
         }
      }
   }

   /** What any application might log about its connection; the tests read it to see how it is wrapped. */
   private static void describe(Connection c) throws SQLException
   {
      final String url = c.getMetaData().getURL();
      final String vendor = url.startsWith("jdbc:h2:") ? "org.h2.jdbc.JdbcConnection"
                            : url.startsWith("jdbc:mariadb:") ? "org.mariadb.jdbc.Connection" : "org.postgresql.PGConnection";
      final Object real;
      try {
         real = c.unwrap(Class.forName(vendor, false, Thread.currentThread().getContextClassLoader()));
      }
      catch (ClassNotFoundException e) {
         throw new IllegalStateException(e);
      }
      System.out.println("connection: " + c + " | unwrap: " + real.getClass().getName());
   }
}
