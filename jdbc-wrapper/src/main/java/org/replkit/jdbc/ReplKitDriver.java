package org.replkit.jdbc;

import org.replkit.jdbc.capture.CaptureSession;
import org.replkit.jdbc.capture.CapturedDatabase;
import org.replkit.jdbc.proxy.ConnectionProxy;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.ServiceLoader;

/**
 * The ReplKit JDBC driver: {@code jdbc:replkit:<the real URL without "jdbc:">}, for example
 * {@code jdbc:replkit:postgresql://127.0.0.1:5432/test}. It opens a connection with the real driver and
 * returns it wrapped, capturing every committed change into the database's change log.
 *
 * <p>The real driver is found through DriverManager, then through ServiceLoader with the thread context
 * class loader (containers, where DriverManager cannot see the application's drivers), or by the class
 * named in {@code replkit.driver}.
 */
public final class ReplKitDriver implements Driver
{
   public static final String URL_PREFIX = "jdbc:replkit:";
   private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(ReplKitDriver.class);
   private static final ReplKitDriver INSTANCE = new ReplKitDriver();

   static {
      try {
         DriverManager.registerDriver(INSTANCE);
      }
      catch (SQLException e) {
         throw new ExceptionInInitializerError(e);
      }
   }

   @Override
   public boolean acceptsURL(String url)
   {
      return url != null && url.startsWith(URL_PREFIX);
   }

   @Override
   public Connection connect(String url, Properties info) throws SQLException
   {
      if (!acceptsURL(url)) {
         return null; // JDBC: not ours, let DriverManager try the next driver
      }
      final ReplKitConfig.Split split = ReplKitConfig.split(url, info);
      final Driver real = realDriver(split.realUrl(), split.config().driverClass());
      final Connection c = real.connect(split.realUrl(), split.realProperties());
      if (c == null) {
         throw new SQLException("driver " + real.getClass().getName() + " does not accept " + redact(split.realUrl()), "08001");
      }
      return wrap(c, identity(split.realUrl()), split.config());
   }

   /** Wraps a real connection (from this driver or from a wrapped DataSource); closes it if capture cannot be set up. */
   static Connection wrap(Connection c, String identity, ReplKitConfig config) throws SQLException
   {
      try {
         if (c instanceof ConnectionProxy || c.isWrapperFor(ConnectionProxy.class)) {
            return c; // captured already (the javaagent wrapped the real driver's connection): twice would record everything twice
         }
         return capture(c, identity, config);
      }
      catch (SQLException | RuntimeException e) {
         try {
            c.close();
         }
         catch (SQLException close) {
            e.addSuppressed(close);
         }
         throw e;
      }
   }

   /**
    * Wraps a connection the caller opened (the javaagent: the application's own connection). Unlike the
    * driver it leaves {@code c} open when capture cannot be set up, so the caller decides what then.
    */
   public static Connection capture(Connection c, String identity, ReplKitConfig config) throws SQLException
   {
      final CapturedDatabase db = CapturedDatabase.of(identity, c, config);
      return new ConnectionProxy(c, new CaptureSession(c, db), config);
   }

   /** Wraps a connection whose capture could not be set up: reads work, writes are refused with {@code reason}. */
   public static Connection refusingWrites(Connection c, String reason)
   {
      return new ConnectionProxy(c, CaptureSession.refusingWrites(c, reason));
   }

   /** The database a URL points at, without its parameters (which may hold credentials). */
   public static String identity(String realUrl)
   {
      int end = realUrl.length();
      for (char c : new char[] {'?', ';'}) {
         final int i = realUrl.indexOf(c);
         if (i >= 0 && i < end) {
            end = i;
         }
      }
      return realUrl.substring(0, end).replaceAll("//[^/@]*@", "//");
   }

   static Driver realDriver(String realUrl, String driverClass) throws SQLException
   {
      if (driverClass != null) {
         try {
            final ClassLoader tccl = Thread.currentThread().getContextClassLoader();
            final Class<?> cls = Class.forName(driverClass, true, tccl != null ? tccl : ReplKitDriver.class.getClassLoader());
            return (Driver) cls.getDeclaredConstructor().newInstance();
         }
         catch (ReflectiveOperationException | ClassCastException e) {
            throw new SQLException("cannot load the real driver class " + driverClass + " named by replkit.driver: " + e, "08001", e);
         }
      }
      try {
         final Driver d = DriverManager.getDriver(realUrl);
         if (!(d instanceof ReplKitDriver)) {
            return d;
         }
      }
      catch (SQLException notVisible) {
         LOG.debug("DriverManager has no driver for {}; trying ServiceLoader", redact(realUrl));
      }
      final ClassLoader tccl = Thread.currentThread().getContextClassLoader();
      for (Driver d : ServiceLoader.load(Driver.class, tccl != null ? tccl : ReplKitDriver.class.getClassLoader())) {
         if (!(d instanceof ReplKitDriver) && d.acceptsURL(realUrl)) {
            return d;
         }
      }
      throw new SQLException("no JDBC driver for " + redact(realUrl) + " is on the class path (add the database's driver, "
                             + "or name its class with replkit.driver)", "08001");
   }

   static String redact(String url)
   {
      return org.replkit.core.changelog.Dialect.redact(url);
   }

   @Override
   public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException
   {
      final ReplKitConfig.Split split = ReplKitConfig.split(url, info);
      return realDriver(split.realUrl(), split.config().driverClass()).getPropertyInfo(split.realUrl(), split.realProperties());
   }

   @Override
   public int getMajorVersion()
   {
      return 0;
   }

   @Override
   public int getMinorVersion()
   {
      return 1;
   }

   @Override
   public boolean jdbcCompliant()
   {
      return false;
   }

   @Override
   public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException
   {
      throw new SQLFeatureNotSupportedException("ReplKit logs through SLF4J");
   }
}
