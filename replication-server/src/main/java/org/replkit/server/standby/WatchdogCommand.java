package org.replkit.server.standby;

import org.replkit.core.control.ControlDb;
import org.replkit.server.ReplicationServer;
import org.replkit.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code replkit watchdog}: runs the {@link Watchdog} against the replication server through the control database. */
@Command(name = "watchdog", description = {"Watches the standby pair's secondary and brings it back: 'hotstandby connect' when it is reachable,",
                                           "'hotstandby netcopy' first when catchup is impossible. Runs until SIGTERM or Ctrl-C; needs 'replkit server'."})
public final class WatchdogCommand implements Callable<Integer>
{
   @Option(names = {"-c", "--config"}, description = "server configuration file with a standby: section (default: ${DEFAULT-VALUE})", defaultValue = "replkit.yaml")
   Path config;

   @Option(names = "--once", description = "look once, do what is needed, and exit (for cron)")
   boolean once;

   @Override
   public Integer call() throws Exception
   {
      final ServerConfig cfg = ServerConfig.load(config);
      if (cfg.standby() == null) {
         throw new IllegalArgumentException(config + " has no standby: section: there is no pair to watch");
      }
      try (ControlDb control = ReplicationServer.openControl(cfg.control())) {
         final long waitMs = (cfg.standby().commandWaitSeconds() + 30) * 1000;
         final Map<String, Long> pending = new HashMap<>();
         final Watchdog w = new Watchdog(cfg.standby(), text -> viaServer(control, pending, text, waitMs));
         if (once) {
            w.once();
            return 0;
         }
         Runtime.getRuntime().addShutdownHook(new Thread(w::close, "replkit-watchdog-shutdown"));
         w.run();
         return 0;
      }
   }

   /**
    * Queues a command for the running server and waits for its answer. A command still unanswered from
    * an earlier try is waited for again rather than queued twice, so a stopped server does not collect
    * a pile of them.
    */
   static String viaServer(ControlDb control, Map<String, Long> pending, String text, long waitMs) throws Exception
   {
      Long id = pending.get(text);
      if (id == null) {
         id = control.submit(text);
         pending.put(text, id);
      }
      final long until = System.currentTimeMillis() + waitMs;
      while (System.currentTimeMillis() < until) {
         final ControlDb.Command c = control.command(id);
         if (c.done() != null) {
            pending.remove(text);
            return c.result();
         }
         Thread.sleep(100);
      }
      throw new IllegalStateException("no replication server ran '" + text + "' within " + waitMs / 1000 + " s (is 'replkit server' running with this configuration?)");
   }
}
