package org.replkit.server;

import java.util.function.Consumer;

/**
 * Fault-injection points for crash tests. Production never sets the hook; a test sets one that throws
 * {@link Crash} at a chosen point, which ends the log reader or connection thread on the spot, as a
 * crash would: no rollback, no cleanup, nothing after the point runs.
 */
public final class Faults
{
   /** Thrown by a test hook: an Error, so no catch block of the server treats it as a handled failure. */
   public static final class Crash extends Error
   {
      public Crash(String point)
      {
         super("injected crash at " + point);
      }
   }

   public static volatile Consumer<String> hook;

   private Faults()
   {
   }

   static void point(String name)
   {
      final Consumer<String> h = hook;
      if (h != null) {
         h.accept(name);
      }
   }
}
