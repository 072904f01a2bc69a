package org.replkit.liquibase;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;

import org.replkit.core.changelog.Dialect;
import org.replkit.jdbc.ReplKitConfig;

/**
 * Connections the in-process work opens to the URLs named in a changeset. Procedure calls and admin commands go
 * through {@code jdbc:replkit:} URLs (the ReplKit driver runs or routes them); dumps, loads and verification go
 * through the real driver behind such a URL ({@link Copies} marks its loading sessions as applying), so that reading
 * captures nothing and loading a dump is not replicated back. URLs are only ever shown redacted.
 */
final class Jdbc
{
   static final String REPLKIT = "jdbc:replkit:";

   private Jdbc()
   {
   }

   /** Null when {@code url} is usable, else a message naming the attribute. */
   static String urlProblem(String attribute, String url, boolean replkitOnly)
   {
      if (url == null) {
         return attribute + " is required";
      }
      if (!url.startsWith("jdbc:")) {
         return attribute + " '" + ReplKitSql.printable(Dialect.redact(url)) + "' is not a JDBC URL (jdbc:...)";
      }
      if (replkitOnly && !url.startsWith(REPLKIT)) {
         return attribute + " '" + ReplKitSql.printable(Dialect.redact(url)) + "' must be a " + REPLKIT
                + " URL: the procedure calls and commands of this step are run by the ReplKit driver";
      }
      return null;
   }

   static String redact(String url)
   {
      return Dialect.redact(url);
   }

   /** The real driver's URL behind a {@code jdbc:replkit:} URL (replkit.* settings removed); other URLs unchanged. */
   static String real(String url) throws SQLException
   {
      return url.startsWith(REPLKIT) ? ReplKitConfig.split(url, null).realUrl() : url;
   }

   /**
    * Opens {@code url}; a failure names what was being reached (e.g. "the new site") and the redacted URL.
    * Drivers are also looked up with this class's loader: under the Liquibase CLI the extension and the drivers
    * come from its lib directory, which DriverManager's own lookup does not see.
    */
   static Connection open(String url, String what) throws SQLException
   {
      try {
         for (Driver d : ServiceLoader.load(Driver.class, Jdbc.class.getClassLoader())) {
            if (d.acceptsURL(url)) {
               final Connection c = d.connect(url, new Properties());
               if (c != null) {
                  return c;
               }
            }
         }
         return DriverManager.getConnection(url);
      }
      catch (SQLException e) {
         throw new SQLException("cannot connect to " + what + " (" + redact(url) + "): " + e.getMessage(), e.getSQLState(), e);
      }
   }

   /** A comma-separated table list; empty for none. */
   static List<String> tables(String list)
   {
      if (list == null) {
         return List.of();
      }
      return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
   }

   /** Table names are used quoted, but must still be plain names: no quotes, separators or control characters. */
   static String tablesProblem(String attribute, String list)
   {
      if (list == null) {
         return null;
      }
      for (String t : tables(list)) {
         if (!t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return attribute + ": '" + ReplKitSql.printable(t) + "' is not a table name (letters, digits and _, starting with a letter or _)";
         }
      }
      if (tables(list).isEmpty()) {
         return attribute + " lists no table";
      }
      return null;
   }
}
