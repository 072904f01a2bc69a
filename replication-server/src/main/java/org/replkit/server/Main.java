package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.replkit.core.control.ControlDb;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The {@code replkit} command line. Exit codes: 0 ok (verify: identical), 1 verify found differences, 2 error. */
@Command(name = "replkit", mixinStandardHelpOptions = true, version = "replkit 0.1.0",
         description = "ReplKit: transactional replication through one JDBC URL.",
         subcommands = {Demo.class, Main.ServerCmd.class, Main.AdminCmd.class, Main.StatusCmd.class, Main.VerifyCmd.class, Main.DumpPointCmd.class,
                        org.replkit.server.standby.WatchdogCommand.class})
public final class Main implements Runnable
{
   @CommandLine.Spec
   CommandLine.Model.CommandSpec spec;

   public static void main(String[] args)
   {
      System.exit(run(args));
   }

   /** Runs the CLI in this JVM and returns its exit code (tests call this). */
   public static int run(String... args)
   {
      // H2's AUTO_SERVER (the default control database, shared by the server and the CLI) listens on loopback only
      System.setProperty("h2.bindAddress", "127.0.0.1");
      if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
         System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", args.length > 0 && (args[0].equals("server") || args[0].equals("watchdog")) ? "info" : "warn");
      }
      System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
      System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
      return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
         cmd.getErr().println("replkit " + cmd.getCommandName() + ": " + message(e));
         if (!(e instanceof ServerConfig.ConfigException || e instanceof SQLException || e instanceof IllegalArgumentException
               || e instanceof IllegalStateException || e instanceof org.replkit.core.queue.QueueException)) {
            e.printStackTrace(cmd.getErr());
         }
         return 2;
      }).execute(args);
   }

   private static String message(Throwable e)
   {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
   }

   @Override
   public void run()
   {
      spec.commandLine().usage(System.out);
   }

   /** Where the control database is: --control URL, or the config file's control section. */
   static class ControlOptions
   {
      @Option(names = {"-c", "--config"}, description = "server configuration file (default: ${DEFAULT-VALUE})", defaultValue = "replkit.yaml")
      Path config;

      @Option(names = "--control", description = "JDBC URL of the control database (instead of reading it from --config)")
      String control;

      ControlDb open() throws SQLException
      {
         if (control != null) {
            return ReplicationServer.openControl(new ServerConfig.Db(control, null, null));
         }
         return ReplicationServer.openControl(ServerConfig.load(config).control());
      }
   }

   @Command(name = "server", description = "Runs the replication server until SIGTERM or Ctrl-C (graceful shutdown).")
   static final class ServerCmd implements Callable<Integer>
   {
      @Option(names = {"-c", "--config"}, description = "configuration file (default: ${DEFAULT-VALUE})", defaultValue = "replkit.yaml")
      Path config;

      @Option(names = "--no-check", description = "start without first checking that every database is reachable")
      boolean noCheck;

      @Override
      public Integer call() throws Exception
      {
         final ServerConfig cfg = ServerConfig.load(config);
         final ReplicationServer server = new ReplicationServer(cfg);
         if (!noCheck) {
            final List<List<String>> problems = server.check();
            problems.get(1).forEach(w -> System.err.println("replkit server: warning: " + w));
            if (!problems.get(0).isEmpty()) {
               problems.get(0).forEach(f -> System.err.println("replkit server: " + f));
               server.close();
               return 2;
            }
         }
         final CountDownLatch stopped = new CountDownLatch(1);
         Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
         }, "replkit-shutdown"));
         server.start();
         System.out.println("replkit server: running (" + cfg.sites().size() + " site(s), " + cfg.connections().size()
                            + " connection(s)); SIGTERM or Ctrl-C stops it");
         stopped.await();
         return 0;
      }
   }

   @Command(name = "admin", description = {"Runs an admin command through the control database; the running server executes it.",
                                           "Commands: " + ReplicationServer.COMMANDS})
   static final class AdminCmd implements Callable<Integer>
   {
      @CommandLine.Mixin
      ControlOptions where = new ControlOptions();

      @Option(names = "--site", description = "the site the command is called at (DBMS_REPCAT / DBMS_OFFLINE_OG: master definition site, new site)")
      String site;

      @Option(names = "--wait", description = "seconds to wait for the server to run the command (default: ${DEFAULT-VALUE})", defaultValue = "10")
      int waitSeconds;

      @Parameters(arity = "1..*", description = "the command, e.g. \"suspend connection to pg2.orders\"")
      List<String> words;

      @Override
      public Integer call() throws Exception
      {
         final String command = String.join(" ", words);
         try (ControlDb control = where.open()) {
            final String local = ReplicationServer.readOnly(control, command);
            if (local != null) {
               System.out.println(local);
               return 0;
            }
            if (!ReplicationServer.isCommand(command)) {
               throw new IllegalArgumentException("unknown command '" + command + "'; the commands are: " + ReplicationServer.COMMANDS);
            }
            final long id = control.submit(command, site, null); // the operator of the control database is an administrator
            final long until = System.currentTimeMillis() + waitSeconds * 1000L;
            while (System.currentTimeMillis() < until) {
               final ControlDb.Command c = control.command(id);
               if (c.done() != null) {
                  System.out.println(c.result());
                  return c.result() != null && c.result().startsWith("error:") ? 2 : 0;
               }
               Thread.sleep(100);
            }
            System.out.println("Queued as command #" + id + "; no server has run it within " + waitSeconds
                               + "s (is 'replkit server' running?). It runs when the server next starts.");
            return 0;
         }
      }
   }

   @Command(name = "status", description = "Shows sites, connections, their states, queue depth, lag and failing transactions.")
   static final class StatusCmd implements Callable<Integer>
   {
      @CommandLine.Mixin
      ControlOptions where = new ControlOptions();

      @Override
      public Integer call() throws Exception
      {
         try (ControlDb control = where.open()) {
            System.out.println(Status.render(control));
            return 0;
         }
      }
   }

   @Command(name = "verify", description = "Compares tables of two databases by chunked checksums; exit 0 identical, 1 different, 2 error.")
   static final class VerifyCmd implements Callable<Integer>
   {
      @Option(names = "--source", required = true, description = "JDBC URL of the source (credentials as URL parameters)")
      String source;

      @Option(names = "--target", required = true, description = "JDBC URL of the target")
      String target;

      @Option(names = "--table", description = "a table to compare (repeatable; default: every table of the source's schema)")
      List<String> tables = new ArrayList<>();

      @Option(names = "--chunk-size", description = "rows per chunk (default: ${DEFAULT-VALUE})", defaultValue = "1000")
      int chunkSize;

      @Override
      public Integer call() throws Exception
      {
         try (Connection s = open(source, "source"); Connection t = open(target, "target")) {
            final Verify.Result r = new Verify(s, t, Math.max(1, chunkSize)).run(tables);
            r.report().forEach(System.out::println);
            System.out.println(r.identical() ? "IDENTICAL" : "DIFFERENT");
            return r.identical() ? 0 : 1;
         }
      }

      static Connection open(String url, String what) throws SQLException
      {
         final String real = ReplicationServer.realUrl(url);
         try {
            return DriverManager.getConnection(real);
         }
         catch (SQLException e) {
            throw new SQLException("cannot connect to the " + what + " " + org.replkit.core.changelog.Dialect.redact(real) + ": " + e.getMessage(), e.getSQLState(), e);
         }
      }
   }

   @Command(name = "dump-point", description = {"Reads the dump point from a dump itself (its copy of the change log), for lr_dump_marker:",
                                                "the primary keeps taking writes while it is dumped."})
   static final class DumpPointCmd implements Callable<Integer>
   {
      @CommandLine.ArgGroup(multiplicity = "1")
      Source from;

      static final class Source
      {
         @Option(names = "--url", description = "JDBC URL of a database holding the dump (a restored copy, a snapshot)")
         String url;

         @Option(names = "--file", description = "a plain SQL dump: pg_dump, mariadb-dump (with the replkit_<db> database) or H2 SCRIPT")
         Path file;
      }

      @Override
      public Integer call() throws Exception
      {
         final long p;
         if (from.file != null) {
            p = org.replkit.core.changelog.DumpPoint.ofFile(from.file);
         }
         else {
            try (Connection c = VerifyCmd.open(from.url, "dump")) {
               p = org.replkit.core.changelog.DumpPoint.of(c);
            }
         }
         System.out.println(p);
         System.err.println("dump point: sequence " + p + "; at the primary run: CALL lr_dump_marker(" + p + ")");
         return 0;
      }
   }
}
