package org.replkit.server;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's configuration ({@code replkit.yaml}); see replication-server/README.md for the format.
 * Every problem is reported as a {@link ConfigException} naming the key and what is wrong; {@code ${VAR}}
 * in any value is replaced by that environment variable (credentials never need to be in the file).
 */
public record ServerConfig(Path queue, Db control, List<Site> sites, List<Conn> connections, Set<String> administrators, Standby standby)
{
   /** A configuration without a standby pair or administrators. */
   public ServerConfig(Path queue, Db control, List<Site> sites, List<Conn> connections)
   {
      this(queue, control, sites, connections, Set.of(), null);
   }

   /** Replication groups: {@code administrators} may run DBMS_REPCAT and DBMS_OFFLINE_OG through the driver. */
   public ServerConfig(Path queue, Db control, List<Site> sites, List<Conn> connections, Set<String> administrators)
   {
      this(queue, control, sites, connections, administrators, null);
   }

   /** With a standby pair. */
   public ServerConfig(Path queue, Db control, List<Site> sites, List<Conn> connections, Standby standby)
   {
      this(queue, control, sites, connections, Set.of(), standby);
   }

   /** A database reached by JDBC. The URL may be a {@code jdbc:replkit:} URL; the server uses the real one. */
   public record Db(String url, String user, String password)
   {
   }

   /** A primary: its log reader (RepAgent) reads its change log. {@code name} is the origin in every OQID. */
   public record Site(String name, Db db, long pollMillis)
   {
   }

   /**
    * A replicate connection (DSI) named {@code dataserver.database}, applying the transactions of the
    * sites in {@code from}. {@code schema}: the replicate schema to apply into (null: the connection's own).
    * {@code site}: the master site this connection delivers to, in multi-master replication groups (null: a replicate);
    * its updates and deletes then detect conflicts. {@code conflicts}: per table, the column on which the latest
    * timestamp wins a conflict (tables not named suspend the connection on a conflict).
    */
   public record Conn(String name, Db db, Set<String> from, String schema, int groupTransactions, int groupRows, String site,
                      Map<String, String> conflicts)
   {
      public Conn(String name, Db db, Set<String> from, String schema, int groupTransactions, int groupRows)
      {
         this(name, db, from, schema, groupTransactions, groupRows, null, Map.of());
      }

      public Conn(String name, Db db, Set<String> from, String schema, int groupTransactions, int groupRows, String site)
      {
         this(name, db, from, schema, groupTransactions, groupRows, site, Map.of());
      }
   }

   /** The connection delivering to a master site, or null. */
   public Conn connectionTo(String site)
   {
      return connections.stream().filter(c -> site.equals(c.site())).findFirst().orElse(null);
   }

   /**
    * The hot-standby pair ({@code standby:}; see org.replkit.server.standby.StandbyPair): the primary (a
    * configured site, whose log reader then truncates the log, or a database of its own, whose log the
    * pair truncates), the secondary, and how much change log PRIMARY ALONE may keep for catchup.
    */
   public record Standby(String name, String site, Db primary, Db secondary, long maxLogTransactions, long maxLogBytes, Path copyDirectory,
                         long pollMillis, long commandWaitSeconds, long watchdogMillis)
   {
   }

   public static final class ConfigException extends RuntimeException
   {
      public ConfigException(String message)
      {
         super(message);
      }
   }

   private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
   private static final Pattern CONNECTION_NAME = Pattern.compile("[^.\\s]+\\.[^.\\s]+");

   public Site site(String name)
   {
      return sites.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
   }

   public static ServerConfig load(Path file)
   {
      return load(file, System::getenv);
   }

   static ServerConfig load(Path file, UnaryOperator<String> env)
   {
      final Object root;
      try (Reader r = Files.newBufferedReader(file)) {
         root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
      }
      catch (NoSuchFileException e) {
         throw new ConfigException("configuration file " + file + " does not exist");
      }
      catch (IOException e) {
         throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
      }
      catch (YAMLException e) {
         throw new ConfigException("configuration file " + file + " is not valid YAML: " + e.getMessage());
      }
      if (!(root instanceof Map<?, ?> m)) {
         throw new ConfigException("configuration file " + file + " must be a YAML mapping with keys queue, control, sites, connections");
      }
      final Path base = file.toAbsolutePath().getParent();
      return parse(m, base, env);
   }

   static ServerConfig parse(Map<?, ?> m, Path base, UnaryOperator<String> env)
   {
      known(m, "", "queue", "control", "sites", "connections", "administrators", "standby");
      final Path queue = base.resolve(str(m, "queue", "", env, "replkit-data/queue"));
      final Db control = m.get("control") == null
                         ? new Db("jdbc:h2:file:" + base.resolve("replkit-data/control").toAbsolutePath() + ";AUTO_SERVER=TRUE", null, null)
                         : db(map(m.get("control"), "control"), "control", env, Set.of());
      final List<Site> sites = new ArrayList<>();
      final Set<String> names = new HashSet<>();
      int i = 0;
      for (Object o : list(m, "sites")) {
         final String where = "sites[" + i++ + "]";
         final Map<?, ?> s = map(o, where);
         known(s, where + ".", "name", "url", "user", "password", "pollMillis");
         final String name = required(s, "name", where, env);
         if (!names.add(name)) {
            throw new ConfigException(where + ": site " + name + " is defined twice");
         }
         sites.add(new Site(name, db(s, where, env, Set.of("name", "pollMillis")), num(s, "pollMillis", where, env, 50)));
      }
      final List<Conn> conns = new ArrayList<>();
      final Set<String> connNames = new HashSet<>();
      i = 0;
      for (Object o : list(m, "connections")) {
         final String where = "connections[" + i++ + "]";
         final Map<?, ?> c = map(o, where);
         known(c, where + ".", "name", "url", "user", "password", "from", "schema", "groupTransactions", "groupRows", "site", "conflicts");
         final String name = required(c, "name", where, env);
         if (!CONNECTION_NAME.matcher(name).matches()) {
            throw new ConfigException(where + ": connection name '" + name + "' must be dataserver.database (one dot), e.g. pg2.orders");
         }
         if (!connNames.add(name)) {
            throw new ConfigException(where + ": connection " + name + " is defined twice");
         }
         final Set<String> from = new LinkedHashSet<>();
         final Object f = c.get("from");
         if (f == null) {
            sites.forEach(s -> from.add(s.name()));
         }
         else {
            for (Object x : f instanceof List<?> l ? l : List.of(f)) {
               final String site = String.valueOf(x);
               if (names.stream().noneMatch(site::equals)) {
                  throw new ConfigException(where + ".from: unknown site '" + site + "'; the sites are " + names);
               }
               from.add(site);
            }
         }
         if (from.isEmpty()) {
            throw new ConfigException(where + ": no site to replicate from (define sites, or list them in from)");
         }
         final String target = c.get("site") == null ? null : str(c, "site", where, env, null);
         if (target != null && !names.contains(target)) {
            throw new ConfigException(where + ".site: unknown site '" + target + "'; the sites are " + names);
         }
         if (target != null && from.contains(target)) {
            throw new ConfigException(where + ".site: " + target + " is also in from: a master must not receive its own changes back (list the other masters)");
         }
         conns.add(new Conn(name, db(c, where, env, Set.of()), from, c.get("schema") == null ? null : str(c, "schema", where, env, null),
                            (int) num(c, "groupTransactions", where, env, 50), (int) num(c, "groupRows", where, env, 5000), target,
                            conflicts(c, where, target)));
      }
      final Standby standby = m.get("standby") == null ? null : standby(map(m.get("standby"), "standby"), sites, base, env);
      if (sites.isEmpty() && conns.isEmpty() && standby == null) {
         throw new ConfigException("the configuration has no sites, no connections and no standby: nothing to replicate");
      }
      final Set<String> admins = new LinkedHashSet<>();
      if (m.get("administrators") != null) {
         for (Object a : list(m, "administrators")) {
            admins.add(String.valueOf(a));
         }
      }
      return new ServerConfig(queue, control, List.copyOf(sites), List.copyOf(conns), Set.copyOf(admins), standby);
   }

   private static Standby standby(Map<?, ?> m, List<Site> sites, Path base, UnaryOperator<String> env)
   {
      known(m, "standby.", "name", "primary", "secondary", "maxLogTransactions", "maxLogSize", "copyDirectory", "pollMillis",
            "commandWaitSeconds", "watchdogMillis");
      final Object p = m.get("primary");
      String site = null;
      final Db primary;
      if (p instanceof Map<?, ?> pm) {
         known(pm, "standby.primary.", "url", "user", "password");
         primary = db(pm, "standby.primary", env, Set.of());
      }
      else if (p != null) {
         site = str(m, "primary", "standby", env, null);
         final String name = site;
         primary = sites.stream().filter(s -> s.name().equals(name)).findFirst().map(Site::db)
            .orElseThrow(() -> new ConfigException("standby.primary: unknown site '" + name + "'; the sites are "
                                                   + sites.stream().map(Site::name).toList() + " (or give the primary's url, user and password)"));
      }
      else {
         throw new ConfigException("standby: 'primary' is required: a site name, or the primary database (url, user, password)");
      }
      if (!(m.get("secondary") instanceof Map<?, ?> sm)) {
         throw new ConfigException("standby: 'secondary' is required: the secondary database (url, user, password)");
      }
      known(sm, "standby.secondary.", "url", "user", "password");
      final Db secondary = db(sm, "standby.secondary", env, Set.of());
      if (secondary.url().equals(primary.url())) {
         throw new ConfigException("standby.secondary: " + secondary.url() + " is the primary's database; the secondary must be another one");
      }
      return new Standby(str(m, "name", "standby", env, "hsb"), site, primary, secondary, num(m, "maxLogTransactions", "standby", env, 1_000_000),
                         size(m, "maxLogSize", env, 256L << 20), base.resolve(str(m, "copyDirectory", "standby", env, "replkit-data/hsb-copy")),
                         num(m, "pollMillis", "standby", env, 20), num(m, "commandWaitSeconds", "standby", env, 8), num(m, "watchdogMillis", "standby", env, 2000));
   }

   /** A size in bytes: a whole number with an optional unit KB, MB or GB (powers of 1024). */
   private static long size(Map<?, ?> m, String key, UnaryOperator<String> env, long dflt)
   {
      final String v = str(m, key, "standby", env, null);
      if (v == null) {
         return dflt;
      }
      final Matcher x = Pattern.compile("(?i)^\\s*(\\d+)\\s*(B|KB|MB|GB)?\\s*$").matcher(v);
      if (!x.matches()) {
         throw new ConfigException("standby." + key + ": expected a size such as 256MB, 64KB or 1GB, found '" + v + "'");
      }
      final String unit = x.group(2) == null ? "B" : x.group(2).toUpperCase(java.util.Locale.ROOT);
      final int shift = switch (unit) {
         case "KB" -> 10;
         case "MB" -> 20;
         case "GB" -> 30;
         default -> 0;
      };
      final long n = Long.parseLong(x.group(1));
      if (n < 1 || n > (Long.MAX_VALUE >> shift)) {
         throw new ConfigException("standby." + key + ": expected a positive size, found '" + v + "'");
      }
      return n << shift;
   }

   private static Db db(Map<?, ?> m, String where, UnaryOperator<String> env, Set<String> ignore)
   {
      if (where.equals("control")) {
         known(m, "control.", "url", "user", "password");
      }
      final String url = required(m, "url", where, env);
      if (!url.startsWith("jdbc:")) {
         throw new ConfigException(where + ".url: '" + url + "' is not a JDBC URL (jdbc:postgresql://..., jdbc:mariadb://..., jdbc:h2:...)");
      }
      return new Db(url, str(m, "user", where, env, null), str(m, "password", where, env, null));
   }

   private static void known(Map<?, ?> m, String where, String... keys)
   {
      final List<String> k = List.of(keys);
      for (Object key : m.keySet()) {
         if (!k.contains(String.valueOf(key))) {
            throw new ConfigException("unknown configuration key '" + where + key + "'; expected one of " + k);
         }
      }
   }

   private static String required(Map<?, ?> m, String key, String where, UnaryOperator<String> env)
   {
      final String v = str(m, key, where, env, null);
      if (v == null || v.isBlank()) {
         throw new ConfigException(where + ": '" + key + "' is required");
      }
      return v;
   }

   private static String str(Map<?, ?> m, String key, String where, UnaryOperator<String> env, String dflt)
   {
      final Object v = m.get(key);
      if (v == null) {
         return dflt;
      }
      if (v instanceof Map || v instanceof List) {
         throw new ConfigException((where.isEmpty() ? "" : where + ".") + key + ": expected a single value");
      }
      final Matcher x = ENV.matcher(String.valueOf(v));
      final StringBuilder sb = new StringBuilder();
      while (x.find()) {
         String value = env.apply(x.group(1));
         if (value == null) {
            value = x.group(2);
         }
         if (value == null) {
            throw new ConfigException((where.isEmpty() ? "" : where + ".") + key + ": environment variable " + x.group(1) + " is not set");
         }
         x.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      x.appendTail(sb);
      return sb.toString();
   }

   private static long num(Map<?, ?> m, String key, String where, UnaryOperator<String> env, long dflt)
   {
      final String v = str(m, key, where, env, String.valueOf(dflt));
      try {
         final long n = Long.parseLong(v.trim());
         if (n < 1 || n > Integer.MAX_VALUE) {
            throw new NumberFormatException();
         }
         return n;
      }
      catch (NumberFormatException e) {
         throw new ConfigException(where + "." + key + ": expected a positive whole number, found '" + v + "'");
      }
   }

   /** {@code conflicts: {parts: updated_at}}: latest timestamp wins on parts.updated_at. */
   private static Map<String, String> conflicts(Map<?, ?> c, String where, String target)
   {
      final Object o = c.get("conflicts");
      if (o == null) {
         return Map.of();
      }
      if (!(o instanceof Map<?, ?> m)) {
         throw new ConfigException(where + ".conflicts: expected a mapping of table to timestamp column (latest timestamp wins), e.g. {parts: updated_at}");
      }
      if (target == null) {
         throw new ConfigException(where + ".conflicts: conflicts are detected on connections to a master site only: set " + where + ".site");
      }
      final Map<String, String> out = new java.util.LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
      return Map.copyOf(out);
   }

   private static List<?> list(Map<?, ?> m, String key)
   {
      final Object v = m.get(key);
      if (v == null) {
         return List.of();
      }
      if (!(v instanceof List<?> l)) {
         throw new ConfigException(key + ": expected a list (each item starting with '- ')");
      }
      return l;
   }

   private static Map<?, ?> map(Object o, String where)
   {
      if (!(o instanceof Map<?, ?> m)) {
         throw new ConfigException(where + ": expected a mapping (key: value lines)");
      }
      return m;
   }
}
