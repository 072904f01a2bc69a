package org.replkit.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * ReplKit's settings for one connection: from a properties file ({@code replkit.config}), then URL
 * parameters, then connection properties, later ones winning. Every key starts with {@code replkit.}
 * and is removed before the real driver sees the URL or the properties.
 *
 * <pre>
 * replkit.site     the site name: the origin in every OQID this database produces (default: the database name)
 * replkit.exclude  tables not captured: table or schema.table, '*' as wildcard, comma separated
 * replkit.keys     unique keys for tables without a primary key: table(col,...);schema.table(col)
 * replkit.schemas  schemas whose tables are captured (default: the connection's current schema)
 * replkit.logSchema  schema of the change log (default replkit; MariaDB replkit_&lt;database&gt;)
 * replkit.control  JDBC URL of the control database (used by the replication server and admin commands)
 * replkit.commandTimeout  seconds a command sent as SQL waits for the replication server (default 30)
 * replkit.driver   class name of the real driver, when DriverManager cannot see it
 * replkit.config   path of a properties file with any of the above
 * </pre>
 */
public final class ReplKitConfig
{
   public static final String PREFIX = "replkit.";
   private static final List<String> KNOWN = List.of("site", "exclude", "keys", "schemas", "logSchema", "control", "commandTimeout", "driver",
                                                       "config");
   private static final long DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

   private final Map<String, String> values;
   private final List<Pattern> exclude;
   private final Map<String, List<String>> keys;
   private final long commandTimeoutMs;

   private ReplKitConfig(Map<String, String> values) throws SQLException
   {
      this.values = values;
      for (String k : values.keySet()) {
         if (!KNOWN.contains(k)) {
            throw new SQLException("unknown ReplKit setting replkit." + k + "; known settings: replkit." + String.join(", replkit.", KNOWN), "08001");
         }
      }
      this.exclude = new ArrayList<>();
      for (String e : list(values.get("exclude"), ",")) {
         exclude.add(Pattern.compile(Pattern.quote(e.toLowerCase(Locale.ROOT)).replace("*", "\\E.*\\Q")));
      }
      this.keys = new HashMap<>();
      for (String spec : list(values.get("keys"), ";")) {
         final int open = spec.indexOf('(');
         if (open < 1 || !spec.endsWith(")")) {
            throw new SQLException("replkit.keys: expected table(column,...) but found '" + spec + "'", "08001");
         }
         keys.put(spec.substring(0, open).trim().toLowerCase(Locale.ROOT), list(spec.substring(open + 1, spec.length() - 1), ","));
      }
      this.commandTimeoutMs = millis(values.get("commandTimeout"));
   }

   private static long millis(String seconds) throws SQLException
   {
      if (seconds == null || seconds.isBlank()) {
         return DEFAULT_COMMAND_TIMEOUT_MS;
      }
      try {
         final double s = Double.parseDouble(seconds.strip());
         if (s > 0 && s <= 86_400) {
            return Math.max(1, Math.round(s * 1000));
         }
      }
      catch (NumberFormatException notANumber) {
         // reported below with the accepted form
      }
      throw new SQLException("replkit.commandTimeout: expected seconds (more than 0, at most 86400, e.g. 30 or 0.5) but found '" + seconds + "'", "08001");
   }

   public static ReplKitConfig of(Map<String, String> settings) throws SQLException
   {
      return new ReplKitConfig(new LinkedHashMap<>(settings));
   }

   /** The real driver's URL and properties, and ReplKit's settings, from a {@code jdbc:replkit:} URL and properties. */
   public record Split(String realUrl, Properties realProperties, ReplKitConfig config)
   {
   }

   public static Split split(String url, Properties info) throws SQLException
   {
      if (!url.startsWith(ReplKitDriver.URL_PREFIX)) {
         throw new SQLException("not a ReplKit URL (expected " + ReplKitDriver.URL_PREFIX + "<real url without jdbc:>): " + url, "08001");
      }
      final String rest = url.substring(ReplKitDriver.URL_PREFIX.length());
      final Map<String, String> fromUrl = new LinkedHashMap<>();
      final String realUrl = "jdbc:" + stripParameters(rest, fromUrl);
      final Properties realProps = new Properties();
      final Map<String, String> fromProps = new LinkedHashMap<>();
      if (info != null) {
         for (String name : info.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
               fromProps.put(name.substring(PREFIX.length()), info.getProperty(name));
            }
            else {
               realProps.setProperty(name, info.getProperty(name));
            }
         }
      }
      final Map<String, String> merged = new LinkedHashMap<>();
      String file = fromProps.getOrDefault("config", fromUrl.getOrDefault("config", System.getProperty("replkit.config")));
      if (file != null) {
         merged.putAll(load(Path.of(file)));
         merged.put("config", file);
      }
      merged.putAll(fromUrl);
      merged.putAll(fromProps);
      return new Split(realUrl, realProps, new ReplKitConfig(merged));
   }

   /** Removes replkit.* parameters from a URL's query ('?a=b&amp;c=d') or H2-style (';a=b') parameters. */
   static String stripParameters(String url, Map<String, String> out)
   {
      final int q = url.indexOf('?');
      if (q >= 0) {
         final var kept = new StringBuilder();
         for (String p : url.substring(q + 1).split("&")) {
            if (p.startsWith(PREFIX)) {
               put(out, p);
            }
            else if (!p.isEmpty()) {
               kept.append(kept.length() == 0 ? '?' : '&').append(p);
            }
         }
         return url.substring(0, q) + kept;
      }
      final int semi = url.indexOf(';');
      if (semi >= 0) {
         final var kept = new StringBuilder(url.substring(0, semi));
         for (String p : url.substring(semi + 1).split(";")) {
            if (p.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
               put(out, p);
            }
            else if (!p.isEmpty()) {
               kept.append(';').append(p);
            }
         }
         return kept.toString();
      }
      return url;
   }

   private static void put(Map<String, String> out, String param)
   {
      final int eq = param.indexOf('=');
      final String key = (eq < 0 ? param : param.substring(0, eq)).substring(PREFIX.length());
      final String value = eq < 0 ? "" : java.net.URLDecoder.decode(param.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
      out.put(key, value);
   }

   private static Map<String, String> load(Path file) throws SQLException
   {
      final Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
         p.load(in);
      }
      catch (IOException e) {
         throw new SQLException("cannot read ReplKit settings file " + file + ": " + e, "08001", e);
      }
      final Map<String, String> m = new LinkedHashMap<>();
      for (String name : p.stringPropertyNames()) {
         if (!name.startsWith(PREFIX)) {
            throw new SQLException("ReplKit settings file " + file + ": key " + name + " does not start with " + PREFIX, "08001");
         }
         m.put(name.substring(PREFIX.length()), p.getProperty(name).trim());
      }
      return m;
   }

   private static List<String> list(String s, String sep)
   {
      final List<String> out = new ArrayList<>();
      if (s != null) {
         for (String part : s.split(Pattern.quote(sep))) {
            if (!part.isBlank()) {
               out.add(part.trim());
            }
         }
      }
      return out;
   }

   public String site()
   {
      return values.get("site");
   }

   public String logSchema()
   {
      return values.get("logSchema");
   }

   public String control()
   {
      return values.get("control");
   }

   /** How long a command sent as SQL waits for the replication server to run it. */
   public long commandTimeoutMillis()
   {
      return commandTimeoutMs;
   }

   public String driverClass()
   {
      return values.get("driver");
   }

   public List<String> schemas()
   {
      return list(values.get("schemas"), ",");
   }

   public boolean isExcluded(String schema, String table)
   {
      final String t = table.toLowerCase(Locale.ROOT);
      final String st = (schema == null ? "" : schema.toLowerCase(Locale.ROOT) + '.') + t;
      for (Pattern p : exclude) {
         if (p.matcher(t).matches() || p.matcher(st).matches()) {
            return true;
         }
      }
      return false;
   }

   /** The configured unique key of a table, or an empty list. */
   public List<String> keyOf(String schema, String table)
   {
      final String t = table.toLowerCase(Locale.ROOT);
      final List<String> k = keys.get((schema == null ? "" : schema.toLowerCase(Locale.ROOT) + '.') + t);
      return k != null ? k : keys.getOrDefault(t, List.of());
   }

   public Map<String, String> asMap()
   {
      return Map.copyOf(values);
   }
}
