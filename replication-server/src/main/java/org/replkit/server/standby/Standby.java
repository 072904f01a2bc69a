package org.replkit.server.standby;

import org.replkit.server.ServerConfig;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hotstandby admin commands of seed 003, with solidDB's names (also abbreviated {@code hsb}), and
 * {@code ADMIN COMMAND '<text>'} around any of them:
 * <pre>
 *   hotstandby state               the pair's state on the first line (PRIMARY ACTIVE, PRIMARY ALONE, STANDALONE), then the secondary's,
 *                                  positions, the log kept for catchup, the operation in progress and the last result
 *   hotstandby connect             catchup (or a full copy when that is estimated faster), a comparison of the two databases, then
 *                                  PRIMARY ACTIVE; clients keep committing throughout
 *   hotstandby disconnect          PRIMARY ACTIVE -&gt; PRIMARY ALONE: the primary keeps the log for catchup
 *   hotstandby copy [directory]    full copy through a directory (a portable export, then its load into the secondary)
 *   hotstandby netcopy             full copy straight from the primary to the secondary
 *   hotstandby set primary alone   PRIMARY ACTIVE or STANDALONE -&gt; PRIMARY ALONE
 *   hotstandby set standalone      PRIMARY ACTIVE or PRIMARY ALONE -&gt; STANDALONE: the log is no longer kept
 * </pre>
 * A command that cannot run throws {@link StandbyException} (an IllegalArgumentException: the server
 * answers {@code error: ...}) saying the pair's state and what the command expects. An operation that
 * takes longer than {@code standby.commandWaitSeconds} goes on in the background and the answer says
 * so ("Started the process of ..."); {@code hotstandby state} shows its progress and result.
 */
public final class Standby implements AutoCloseable
{
   /** In every answer that only a full copy can fix: the watchdog (and scripts) look for it. */
   public static final String NEEDS_COPY = "a full copy is needed";
   public static final String COMMANDS = "hotstandby state | hotstandby connect | hotstandby disconnect | hotstandby copy [directory]"
                                         + " | hotstandby netcopy | hotstandby set primary alone | hotstandby set standalone";
   private static final Pattern ADMIN_COMMAND = Pattern.compile("(?is)^\\s*admin\\s+command\\s+'((?:[^']|'')*)'\\s*;?\\s*$");
   private static final Pattern HOTSTANDBY = Pattern.compile("(?is)^\\s*(?:hotstandby|hsb)(?:\\s+(.*?))?\\s*;?\\s*$");

   private final ServerConfig.Standby cfg;
   private final StandbyPair pair;

   public Standby(ServerConfig.Standby cfg)
   {
      this.cfg = cfg;
      this.pair = new StandbyPair(cfg);
   }

   /** {@code ADMIN COMMAND 'text'} (solidDB's SQL form) is {@code text}; any other text is itself. */
   public static String unwrap(String text)
   {
      final Matcher m = ADMIN_COMMAND.matcher(text);
      return m.matches() ? m.group(1).replace("''", "'") : text;
   }

   /** True for a hotstandby command, bare or inside {@code ADMIN COMMAND '...'}. */
   public static boolean isStandbyCommand(String text)
   {
      return HOTSTANDBY.matcher(unwrap(text)).matches();
   }

   public void start()
   {
      pair.start();
   }

   public StandbyPair pair()
   {
      return pair;
   }

   /** Runs a hotstandby command and returns its answer; a refused or failed one throws {@link StandbyException}. */
   public String command(String text)
   {
      final Matcher m = HOTSTANDBY.matcher(unwrap(text));
      if (!m.matches()) {
         throw new StandbyException("'" + text.strip() + "' is not a hotstandby command; the commands are: " + COMMANDS, false);
      }
      final String args = m.group(1) == null ? "" : m.group(1).strip();
      final String words = args.replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
      switch (words) {
         case "state" -> {
            return pair.describe();
         }
         case "connect" -> {
            return run("connect", pair::connect, "Started the process of connecting the servers: catchup is active;"
                                                 + " 'hotstandby state' shows PRIMARY ACTIVE when it is done, or why it failed.");
         }
         case "disconnect" -> {
            return run("disconnect", () -> pair.disconnect("disconnect"), null);
         }
         case "netcopy" -> {
            return run("netcopy", () -> pair.fullCopy(null), "Started the full copy (netcopy): it overwrites the secondary's data;"
                                                             + " 'hotstandby state' shows its progress and result.");
         }
         case "set primary alone" -> {
            return run("set primary alone", pair::setPrimaryAlone, null);
         }
         case "set standalone" -> {
            return run("set standalone", pair::setStandalone, null);
         }
         default -> {
            if (words.equals("copy") || words.startsWith("copy ")) {
               final Path dir = words.equals("copy") ? cfg.copyDirectory() : Path.of(args.substring(4).strip()).toAbsolutePath();
               return run("copy", () -> pair.fullCopy(dir), "Started the full copy through " + dir + ": it overwrites the secondary's data;"
                                                            + " 'hotstandby state' shows its progress and result.");
            }
            throw new StandbyException("unknown command 'hotstandby " + args + "'; the commands are: " + COMMANDS, false);
         }
      }
   }

   /** Runs an operation on the pair's worker; waits for its answer up to commandWaitSeconds. */
   private String run(String name, Callable<String> work, String started)
   {
      final CompletableFuture<String> f = pair.submit(name, work);
      try {
         return f.get(started == null ? Math.max(60, cfg.commandWaitSeconds()) : cfg.commandWaitSeconds(), TimeUnit.SECONDS);
      }
      catch (TimeoutException e) {
         return started != null ? started : "hotstandby " + name + " is queued behind the operation in progress; 'hotstandby state' shows it.";
      }
      catch (InterruptedException e) {
         Thread.currentThread().interrupt();
         throw new StandbyException("hotstandby " + name + ": interrupted while waiting for it; 'hotstandby state' shows whether it ran", false);
      }
      catch (ExecutionException e) {
         if (e.getCause() instanceof StandbyException se) {
            throw se;
         }
         throw new StandbyException("hotstandby " + name + " failed: " + e.getCause(), false);
      }
   }

   @Override
   public void close()
   {
      pair.close();
   }
}
