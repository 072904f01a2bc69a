package org.replkit.server.standby;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.server.standby.StandbyPair.State;
import org.replkit.testing.TestDatabases.Kind;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The watchdog brings the secondary back by itself, through the control database like 'replkit watchdog'. */
class WatchdogTest
{
   @Test
   void theWatchdogCopiesANewSecondaryAndBringsAStoppedOneBackWithoutHelp(@TempDir Path dir) throws Exception
   {
      try (Hsb h = Hsb.start(Kind.H2, Kind.H2, dir, false, 1_000_000, 2000)) {
         final Map<String, Long> pending = new HashMap<>();
         try (Watchdog w = new Watchdog(h.cfg, text -> WatchdogCommand.viaServer(h.server.control(), pending, text, 60_000))) {
            w.start();
            h.awaitState(State.PRIMARY_ACTIVE); // a new pair is STANDALONE: the watchdog ran netcopy, then connect
            h.write(20);

            h.secondary.stop();
            h.awaitState(State.PRIMARY_ALONE);
            h.write(50);
            Thread.sleep(5 * h.cfg.watchdogMillis());
            assertEquals(State.PRIMARY_ALONE, h.pair().state(), "an unreachable secondary is only watched");

            h.secondary.start();
            h.awaitState(State.PRIMARY_ACTIVE);
            final String state = h.cmd("hotstandby state");
            assertTrue(state.contains("last: hotstandby connect: Connected"), state);
            h.write(10);
         }
         h.assertIdentical();
      }
   }
}
