package org.replkit.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The option syntax both harnesses share: {@code -Dbench.NAME=value} system properties, then
 * {@code --NAME value} or {@code --NAME=value} arguments (later wins); flags may stand alone.
 */
final class BenchArgs
{
   private BenchArgs()
   {
   }

   /** Option name to raw value; a bad argument is an IllegalArgumentException that ends with {@code usage}. */
   static Map<String, String> collect(String[] args, Set<String> flags, String usage)
   {
      final Map<String, String> given = new LinkedHashMap<>();
      for (String name : System.getProperties().stringPropertyNames()) {
         if (name.startsWith("bench.")) {
            given.put(name.substring("bench.".length()), System.getProperty(name));
         }
      }
      final List<String> rest = List.of(args);
      for (int i = 0; i < rest.size(); i++) {
         final String a = rest.get(i);
         if (!a.startsWith("--")) {
            throw new IllegalArgumentException("unexpected argument '" + a + "'\n\n" + usage);
         }
         final int eq = a.indexOf('=');
         final String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
         if (flags.contains(name)) {
            given.put(name, eq < 0 ? "true" : a.substring(eq + 1));
         }
         else if (eq >= 0) {
            given.put(name, a.substring(eq + 1));
         }
         else if (i + 1 < rest.size()) {
            given.put(name, rest.get(++i));
         }
         else {
            throw new IllegalArgumentException("option --" + name + " needs a value\n\n" + usage);
         }
      }
      return given;
   }
}
