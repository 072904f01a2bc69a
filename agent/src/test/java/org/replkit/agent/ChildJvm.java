package org.replkit.agent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the sample application in a JVM of its own, with or without the agent. Its class path is the
 * application's only: the test classes (SampleApp) and its libraries, never a ReplKit jar, so what
 * capture it gets comes from the agent alone.
 */
final class ChildJvm
{
   record Result(int exit, String output, long millis)
   {
      long count(String text)
      {
         return output.lines().filter(l -> l.contains(text)).count();
      }
   }

   private static final Pattern APP_JARS = Pattern.compile(".*[/\\\\](h2|postgresql|mariadb-java-client|HikariCP|slf4j-api)-[0-9][^/\\\\]*\\.jar");
   /** ReplKit's own jars as an application would add them to use jdbc:replkit: URLs (for comparing the agent with the driver). */
   private static final Pattern REPLKIT_JARS = Pattern.compile(".*([/\\\\](replkit-jdbc|replkit-core|jsqlparser)-[0-9][^/\\\\]*\\.jar|(jdbc-wrapper|core)[/\\\\]target[/\\\\]classes)");

   private ChildJvm()
   {
   }

   static Path agentJar()
   {
      final Path jar = Path.of(System.getProperty("replkit.agent.jar", "target/replkit-agent.jar"));
      if (!Files.isRegularFile(jar)) {
         throw new IllegalStateException(jar + " is missing: the agent tests run after 'package' (mvn verify)");
      }
      return jar;
   }

   static String appClassPath(boolean withReplKit)
   {
      final List<String> entries = new ArrayList<>();
      for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
         if (e.endsWith("test-classes") || APP_JARS.matcher(e).matches() || (withReplKit && REPLKIT_JARS.matcher(e).matches())) {
            entries.add(e);
         }
      }
      return String.join(File.pathSeparator, entries);
   }

   /** Runs {@code mainClass} with the agent (rules file {@code rules}, or none when null) unless {@code agent} is false. */
   static Result run(boolean agent, Path rules, String mainClass, String... args) throws IOException, InterruptedException
   {
      return run(agent, rules, false, mainClass, args);
   }

   /** {@code withReplKit}: ReplKit's jars on the application's class path, as for {@code jdbc:replkit:} URLs. */
   static Result run(boolean agent, Path rules, boolean withReplKit, String mainClass, String... args) throws IOException, InterruptedException
   {
      final List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      if (agent) {
         cmd.add("-javaagent:" + agentJar().toAbsolutePath() + (rules == null ? "" : "=" + rules.toAbsolutePath()));
      }
      cmd.add("-cp");
      cmd.add(appClassPath(withReplKit));
      cmd.add(mainClass);
      cmd.addAll(List.of(args));
      final Path out = Files.createTempFile("replkit-child", ".log");
      try {
         final long start = System.nanoTime();
         final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
         if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish in 120 s: " + Files.readString(out, StandardCharsets.UTF_8));
         }
         final long millis = (System.nanoTime() - start) / 1_000_000;
         return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), millis);
      }
      finally {
         Files.deleteIfExists(out);
      }
   }
}
