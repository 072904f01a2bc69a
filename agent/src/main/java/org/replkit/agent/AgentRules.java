package org.replkit.agent;

import org.replkit.jdbc.ReplKitConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which connections the agent captures, and with which ReplKit settings, from the properties file named
 * by the agent argument:
 * <pre>
 * replkit.agent.rule.1.url=jdbc:postgresql://db:5432/shop*      connections from Driver.connect with a matching URL
 * replkit.agent.rule.1.site=paris                               any ReplKit setting, for this rule only
 * replkit.agent.rule.2.dataSource=org.h2.jdbcx.*                 connections from DataSources of a matching class
 * replkit.exclude=audit_*                                       any ReplKit setting, for every rule
 * </pre>
 * Globs use {@code *} for any text. Rules are tried in number order; the first that matches decides. A
 * rule with both {@code url} and {@code dataSource} matches DataSource connections whose URL matches.
 * Every problem (unknown key, a rule without url or dataSource, an unknown ReplKit setting) is an error:
 * the agent refuses to start rather than run an application whose changes it would silently not capture.
 */
final class AgentRules
{
   static final String RULE_PREFIX = "replkit.agent.rule.";
   private static final Pattern RULE_KEY = Pattern.compile("replkit\\.agent\\.rule\\.(\\d+)\\.(\\w+)");
   /** ReplKit settings that make no sense for a connection the application already opened. */
   private static final List<String> NOT_FOR_AGENT = List.of("driver", "config");

   record Rule(int number, Pattern url, Pattern dataSource, ReplKitConfig config)
   {
      boolean matchesUrl(String jdbcUrl)
      {
         return dataSource == null && url != null && url.matcher(jdbcUrl).matches();
      }

      boolean matchesDataSource(String className)
      {
         return dataSource != null && dataSource.matcher(className).matches();
      }

      /** For a DataSource rule that also names a URL: the connection's URL must match too. */
      boolean acceptsDataSourceUrl(String jdbcUrl)
      {
         return url == null || (jdbcUrl != null && url.matcher(jdbcUrl).matches());
      }
   }

   final List<Rule> rules;
   final String source;

   private AgentRules(List<Rule> rules, String source)
   {
      this.rules = rules;
      this.source = source;
   }

   /** The databases ReplKit captures: without a rules file, every connection to one of them is captured. */
   static final List<String> SUPPORTED_URLS = List.of("jdbc:postgresql:*", "jdbc:mariadb:*", "jdbc:h2:*");

   /**
    * No rules file: every connection to a database ReplKit supports, from a driver or a DataSource, with
    * the default settings. Other databases (an application's SQLite cache, say) are left alone rather than
    * having their writes refused because they cannot be captured.
    */
   static AgentRules captureEverything() throws AgentConfigException
   {
      final Properties p = new Properties();
      int n = 1;
      for (String url : SUPPORTED_URLS) {
         p.setProperty(RULE_PREFIX + n++ + ".url", url);
      }
      for (String url : SUPPORTED_URLS) {
         p.setProperty(RULE_PREFIX + n + ".dataSource", "*");
         p.setProperty(RULE_PREFIX + n++ + ".url", url);
      }
      return parse(p, "(no rules file: every PostgreSQL, MariaDB and H2 connection)");
   }

   static AgentRules load(Path file) throws AgentConfigException
   {
      final Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
         p.load(in);
      }
      catch (IOException e) {
         throw new AgentConfigException("cannot read the rules file " + file + ": " + e);
      }
      return parse(p, file.toString());
   }

   static AgentRules parse(Properties p, String source) throws AgentConfigException
   {
      final Map<String, String> shared = new LinkedHashMap<>();
      final Map<Integer, Map<String, String>> byNumber = new TreeMap<>();
      final List<String> errors = new ArrayList<>();
      for (String key : new TreeMap<>(toMap(p)).keySet()) {
         final String value = p.getProperty(key).trim();
         final Matcher m = RULE_KEY.matcher(key);
         if (m.matches()) {
            byNumber.computeIfAbsent(Integer.parseInt(m.group(1)), n -> new LinkedHashMap<>()).put(m.group(2), value);
         }
         else if (key.startsWith("replkit.agent.")) {
            errors.add("unknown key " + key + " (rules are " + RULE_PREFIX + "<n>.url, .dataSource or .<ReplKit setting>)");
         }
         else if (key.startsWith(ReplKitConfig.PREFIX)) {
            shared.put(key.substring(ReplKitConfig.PREFIX.length()), value);
         }
         else {
            errors.add("unknown key " + key + " (every key starts with replkit.)");
         }
      }
      if (byNumber.isEmpty() && errors.isEmpty()) {
         errors.add("no rules: add " + RULE_PREFIX + "1.url=<JDBC URL glob> or " + RULE_PREFIX + "1.dataSource=<class name glob>");
      }
      final List<Rule> rules = new ArrayList<>();
      for (Map.Entry<Integer, Map<String, String>> e : byNumber.entrySet()) {
         final Map<String, String> settings = new LinkedHashMap<>(shared);
         settings.putAll(e.getValue());
         final String url = settings.remove("url");
         final String dataSource = settings.remove("dataSource");
         if (url == null && dataSource == null) {
            errors.add("rule " + e.getKey() + " has neither .url nor .dataSource");
            continue;
         }
         for (String k : NOT_FOR_AGENT) {
            if (settings.containsKey(k)) {
               errors.add("replkit." + k + " is not used by the agent (the application opens its connections itself)");
            }
         }
         try {
            rules.add(new Rule(e.getKey(), glob(url), glob(dataSource), ReplKitConfig.of(settings)));
         }
         catch (SQLException bad) {
            errors.add("rule " + e.getKey() + ": " + bad.getMessage());
         }
      }
      if (!errors.isEmpty()) {
         throw new AgentConfigException(source + ": " + String.join("; ", errors.stream().distinct().toList()));
      }
      return new AgentRules(List.copyOf(rules), source);
   }

   private static Map<String, String> toMap(Properties p)
   {
      final Map<String, String> m = new LinkedHashMap<>();
      for (String k : p.stringPropertyNames()) {
         m.put(k, p.getProperty(k));
      }
      return m;
   }

   static Pattern glob(String glob)
   {
      if (glob == null) {
         return null;
      }
      return Pattern.compile(Pattern.quote(glob).replace("*", "\\E.*\\Q"), Pattern.DOTALL);
   }

   Rule forUrl(String jdbcUrl)
   {
      for (Rule r : rules) {
         if (r.matchesUrl(jdbcUrl)) {
            return r;
         }
      }
      return null;
   }

   Rule forDataSource(String className)
   {
      for (Rule r : rules) {
         if (r.matchesDataSource(className)) {
            return r;
         }
      }
      return null;
   }

   /** Thrown at start-up for a rules file the agent will not run with. */
   static final class AgentConfigException extends Exception
   {
      AgentConfigException(String message)
      {
         super(message);
      }
   }
}
