package org.replkit.jdbc;

import org.replkit.jdbc.capture.CapturedDatabase;
import org.replkit.jdbc.proxy.ConnectionProxy;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Installs capture explicitly, instead of on first use: the change log, its routines and the trigger of
 * every table, then lists what is captured.
 *
 * <pre>java -cp replkit-jdbc.jar:&lt;driver jar&gt; org.replkit.jdbc.Install jdbc:replkit:postgresql://host/db?user=u</pre>
 */
public final class Install
{
   private Install()
   {
   }

   public static void main(String[] args)
   {
      if (args.length != 1 || !args[0].startsWith(ReplKitDriver.URL_PREFIX)) {
         System.err.println("usage: Install " + ReplKitDriver.URL_PREFIX + "<real url without jdbc:>");
         System.exit(2);
      }
      try {
         System.exit(install(args[0], System.out) > 0 ? 0 : 1);
      }
      catch (SQLException e) {
         System.err.println("install failed: " + e.getMessage() + " (SQLState " + e.getSQLState() + ")");
         System.exit(1);
      }
   }

   /** Installs and prints one line per registered table; returns the number of tables captured. */
   public static int install(String url, PrintStream out) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(url)) {
         final CapturedDatabase db = c.unwrap(ConnectionProxy.class).captureSession().database();
         out.println("Change log: schema " + db.log().schema() + " (" + db.log().dialect() + "), site " + db.site());
         int captured = 0;
         try (Statement st = c.createStatement();
              ResultSet rs = st.executeQuery("SELECT schema_name, table_name, key_columns FROM " + db.log().table("rk_table") + " ORDER BY schema_name, table_name")) {
            while (rs.next()) {
               final String key = rs.getString(3);
               if (key.isEmpty()) {
                  out.println("  refused  " + rs.getString(1) + "." + rs.getString(2) + ": no primary key (configure replkit.keys or replkit.exclude)");
               }
               else {
                  out.println("  captured " + rs.getString(1) + "." + rs.getString(2) + " key (" + key + ")");
                  captured++;
               }
            }
         }
         return captured;
      }
   }
}
