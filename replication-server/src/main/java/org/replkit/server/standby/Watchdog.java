package org.replkit.server.standby;

import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The watchdog of seed 003: watches the secondary and drives the pair with the same hotstandby commands
 * an operator would use. While the pair is not PRIMARY ACTIVE and the secondary is reachable it runs
 * {@code hotstandby connect}; when the answer says catchup is impossible ({@value Standby#NEEDS_COPY}) or
 * the pair is STANDALONE, {@code hotstandby netcopy} and then {@code hotstandby connect}. It logs each
 * thing it sees and does. After a command fails it waits longer before the next try (doubling, up to
 * five minutes), so a secondary that cannot be fixed is not copied in a loop.
 *
 * <p>It never touches the pair directly: commands go through {@link Commands}, in {@code replkit
 * watchdog} the control database the running replication server reads, like {@code replkit admin}.
 */
public final class Watchdog implements Runnable, AutoCloseable
{
   /** Runs a hotstandby command and returns its answer; a refused or failed command's answer starts with {@code error:}. */
   @FunctionalInterface
   public interface Commands
   {
      String run(String command) throws Exception;
   }

   private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
   private static final long MAX_BACKOFF_MS = 300_000;

   private final ServerConfig.Standby cfg;
   private final Commands commands;
   private volatile boolean stopped;
   private String lastSeen;
   private long backoffMs;
   private long notBefore;
   private Thread thread;

   public Watchdog(ServerConfig.Standby cfg, Commands commands)
   {
      this.cfg = cfg;
      this.commands = commands;
   }

   public void start()
   {
      thread = new Thread(this, "replkit-watchdog-" + cfg.name());
      thread.setDaemon(true);
      thread.start();
   }

   @Override
   public void run()
   {
      LOG.info("watchdog for standby pair {}: watching the secondary every {} ms", cfg.name(), cfg.watchdogMillis());
      while (!stopped) {
         try {
            if (System.currentTimeMillis() >= notBefore) {
               once();
            }
         }
         catch (Exception e) {
            seen("cannot run 'hotstandby state': " + e.getMessage());
         }
         sleep(cfg.watchdogMillis());
      }
   }

   /** One look at the pair, and what it calls for. */
   void once() throws Exception
   {
      final String state = commands.run("hotstandby state");
      if (state.startsWith("error:")) {
         seen("'hotstandby state' answered " + state);
         return;
      }
      final String first = state.lines().findFirst().orElse("").strip();
      if (state.contains("\nin progress: ")) {
         seen("the pair is " + first + ", an operation is in progress");
         return;
      }
      if (first.equals(StandbyPair.State.PRIMARY_ACTIVE.toString())) {
         seen("the pair is PRIMARY ACTIVE / SECONDARY ACTIVE");
         backoffMs = 0;
         return;
      }
      final String unreachable = reachable();
      if (unreachable != null) {
         seen("the pair is " + first + "; the secondary is unreachable: " + unreachable);
         return;
      }
      lastSeen = null;
      if (first.equals(StandbyPair.State.STANDALONE.toString())) {
         LOG.info("watchdog: the pair is STANDALONE and the secondary is reachable: catchup is impossible, hotstandby netcopy, then hotstandby connect");
         if (act("hotstandby netcopy")) {
            act("hotstandby connect");
         }
         return;
      }
      LOG.info("watchdog: the secondary is reachable and the pair is {}: hotstandby connect", first);
      final String answer = commands.run("hotstandby connect");
      LOG.info("watchdog: hotstandby connect: {}", StandbyPair.firstLine(answer));
      if (answer.startsWith("error:") && answer.contains(Standby.NEEDS_COPY)) {
         LOG.info("watchdog: catchup is impossible: hotstandby netcopy, then hotstandby connect");
         if (act("hotstandby netcopy")) {
            act("hotstandby connect");
         }
      }
      else if (answer.startsWith("error:")) {
         failed();
      }
      else {
         backoffMs = 0;
      }
   }

   /** Runs a command; false (and a longer wait before the next try) when it failed. */
   private boolean act(String command) throws Exception
   {
      final String answer = commands.run(command);
      LOG.info("watchdog: {}: {}", command, StandbyPair.firstLine(answer));
      if (answer.startsWith("Started")) {
         return false; // it goes on in the background: the next look sees it in progress, then its result
      }
      if (answer.startsWith("error:")) {
         failed();
         return false;
      }
      backoffMs = 0;
      return true;
   }

   private void failed()
   {
      backoffMs = backoffMs == 0 ? cfg.watchdogMillis() : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
      notBefore = System.currentTimeMillis() + backoffMs;
      LOG.info("watchdog: next try in {} ms", backoffMs);
   }

   /** Null when the secondary accepts a connection; else why not. */
   private String reachable()
   {
      try (Connection c = ReplicationServer.connect(cfg.secondary(), "secondary", false)) {
         return c.isValid(5) ? null : "the connection is not valid";
      }
      catch (SQLException e) {
         return ReplicationServer.describe(e, "secondary");
      }
   }

   /** Logs what the watchdog sees once, not at every look. */
   private void seen(String what)
   {
      if (!what.equals(lastSeen)) {
         LOG.info("watchdog: {}", what);
         lastSeen = what;
      }
   }

   private static void sleep(long ms)
   {
      try {
         Thread.sleep(ms);
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
      }
   }

   @Override
   public void close()
   {
      stopped = true;
      if (thread != null) {
         try {
            thread.join(60_000); // a command in flight finishes first
         }
         catch (InterruptedException e) {
            Thread.currentThread().interrupt();
         }
      }
   }
}
