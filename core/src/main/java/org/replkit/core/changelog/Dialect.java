package org.replkit.core.changelog;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The databases ReplKit captures from and applies to; what differs between them stays behind this enum. */
public enum Dialect
{
   POSTGRESQL('"'),
   MARIADB('`'),
   H2('"');

   private final char quote;

   Dialect(char quote)
   {
      this.quote = quote;
   }

   /** The dialect of a real JDBC URL ({@code jdbc:postgresql:...}), or of the part after {@code jdbc:replkit:}. */
   public static Dialect fromUrl(String url)
   {
      final String u = url.toLowerCase(Locale.ROOT);
      final String rest = u.startsWith("jdbc:") ? u.substring(5) : u;
      if (rest.startsWith("postgresql:")) {
         return POSTGRESQL;
      }
      if (rest.startsWith("mariadb:") || rest.startsWith("mysql:")) {
         return MARIADB;
      }
      if (rest.startsWith("h2:")) {
         return H2;
      }
      throw new IllegalArgumentException("ReplKit supports PostgreSQL, MariaDB and H2; no dialect for URL " + redact(url));
   }

   public static Dialect of(Connection c) throws SQLException
   {
      final String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
      if (product.contains("postgres")) {
         return POSTGRESQL;
      }
      if (product.contains("mariadb") || product.contains("mysql")) {
         return MARIADB;
      }
      if (product.contains("h2")) {
         return H2;
      }
      throw new SQLException("ReplKit supports PostgreSQL, MariaDB and H2, not " + product, "0A000");
   }

   /**
    * The statement that marks a session as applying replicated changes: the capture triggers of a
    * replicate that is itself captured neither record nor refuse its writes, so changes do not loop.
    */
   public String applySessionStatement()
   {
      return switch (this) {
         case POSTGRESQL -> "SELECT set_config('replkit.apply', 'on', false)";
         case MARIADB -> "SET @replkit_apply = 1";
         case H2 -> "SET @RK_APPLY = TRUE";
      };
   }

   /** Quotes an identifier, so mixed case, reserved words and odd characters survive. */
   public String quote(String identifier)
   {
      final String q = String.valueOf(quote);
      return q + identifier.replace(q, q + q) + q;
   }

   public String qualified(String schema, String table)
   {
      return schema == null || schema.isEmpty() ? quote(table) : quote(schema) + '.' + quote(table);
   }

   /** A URL without its user-info and password parameters, for error messages and logs. */
   public static String redact(String url)
   {
      if (url == null) {
         return null;
      }
      return url.replaceAll("(?i)(password|pwd)=[^&;]*", "$1=***").replaceAll("//[^/@]*@", "//***@");
   }
}
