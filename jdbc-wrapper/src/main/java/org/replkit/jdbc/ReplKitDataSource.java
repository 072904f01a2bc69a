package org.replkit.jdbc;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ConnectionBuilder;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource that wraps any DataSource (a vendor's, a container's) so that its connections capture
 * like {@code jdbc:replkit:} ones. Bean-style for pools and containers: set {@code dataSource} and the
 * ReplKit settings ({@code site}, {@code exclude}, {@code keys}, ...), or use the constructor.
 *
 * <pre>
 * var ds = new ReplKitDataSource(pgDataSource, Map.of("site", "paris"));
 * hikariConfig.setDataSource(ds);
 * </pre>
 */
public class ReplKitDataSource implements DataSource
{
   private DataSource dataSource;
   private final Map<String, String> settings = new LinkedHashMap<>();
   private volatile ReplKitConfig config;
   private volatile String identity;

   public ReplKitDataSource()
   {
   }

   public ReplKitDataSource(DataSource dataSource, Map<String, String> settings)
   {
      this.dataSource = dataSource;
      this.settings.putAll(settings);
   }

   public void setDataSource(DataSource dataSource)
   {
      this.dataSource = dataSource;
   }

   public DataSource getDataSource()
   {
      return dataSource;
   }

   public void setSite(String site)
   {
      set("site", site);
   }

   public void setExclude(String exclude)
   {
      set("exclude", exclude);
   }

   public void setKeys(String keys)
   {
      set("keys", keys);
   }

   public void setSchemas(String schemas)
   {
      set("schemas", schemas);
   }

   public void setLogSchema(String logSchema)
   {
      set("logSchema", logSchema);
   }

   public void setControl(String controlUrl)
   {
      set("control", controlUrl);
   }

   /** Seconds a command sent as SQL waits for the replication server (replkit.commandTimeout). */
   public void setCommandTimeout(String seconds)
   {
      set("commandTimeout", seconds);
   }

   private void set(String key, String value)
   {
      settings.put(key, value);
      config = null;
   }

   private ReplKitConfig config() throws SQLException
   {
      ReplKitConfig c = config;
      if (c == null) {
         config = c = ReplKitConfig.of(settings);
      }
      return c;
   }

   @Override
   public Connection getConnection() throws SQLException
   {
      return wrap(target().getConnection());
   }

   @Override
   public Connection getConnection(String username, String password) throws SQLException
   {
      return wrap(target().getConnection(username, password));
   }

   @Override
   public ConnectionBuilder createConnectionBuilder() throws SQLException
   {
      final ConnectionBuilder real = target().createConnectionBuilder();
      return new ConnectionBuilder()
      {
         @Override
         public ConnectionBuilder user(String username)
         {
            real.user(username);
            return this;
         }

         @Override
         public ConnectionBuilder password(String password)
         {
            real.password(password);
            return this;
         }

         @Override
         public ConnectionBuilder shardingKey(java.sql.ShardingKey shardingKey)
         {
            real.shardingKey(shardingKey);
            return this;
         }

         @Override
         public ConnectionBuilder superShardingKey(java.sql.ShardingKey superShardingKey)
         {
            real.superShardingKey(superShardingKey);
            return this;
         }

         @Override
         public Connection build() throws SQLException
         {
            return wrap(real.build());
         }
      };
   }

   private DataSource target() throws SQLException
   {
      if (dataSource == null) {
         throw new SQLException("ReplKitDataSource has no target DataSource: call setDataSource first", "08001");
      }
      return dataSource;
   }

   private Connection wrap(Connection c) throws SQLException
   {
      String id = identity;
      if (id == null) {
         identity = id = ReplKitDriver.identity(c.getMetaData().getURL());
      }
      return ReplKitDriver.wrap(c, id, config());
   }

   @Override
   public PrintWriter getLogWriter() throws SQLException
   {
      return target().getLogWriter();
   }

   @Override
   public void setLogWriter(PrintWriter out) throws SQLException
   {
      target().setLogWriter(out);
   }

   @Override
   public void setLoginTimeout(int seconds) throws SQLException
   {
      target().setLoginTimeout(seconds);
   }

   @Override
   public int getLoginTimeout() throws SQLException
   {
      return target().getLoginTimeout();
   }

   @Override
   public Logger getParentLogger() throws SQLFeatureNotSupportedException
   {
      if (dataSource == null) {
         throw new SQLFeatureNotSupportedException("no target DataSource");
      }
      return dataSource.getParentLogger();
   }

   @Override
   public <T> T unwrap(Class<T> iface) throws SQLException
   {
      if (iface.isInstance(this)) {
         return iface.cast(this);
      }
      if (iface.isInstance(dataSource)) {
         return iface.cast(dataSource);
      }
      return target().unwrap(iface);
   }

   @Override
   public boolean isWrapperFor(Class<?> iface) throws SQLException
   {
      return iface.isInstance(this) || iface.isInstance(dataSource) || (dataSource != null && dataSource.isWrapperFor(iface));
   }
}
