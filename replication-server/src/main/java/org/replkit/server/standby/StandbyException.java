package org.replkit.server.standby;

/**
 * A hotstandby command that cannot run: the message says the pair's state and what was expected, or
 * what failed. An IllegalArgumentException, so the server answers it as {@code error: <message>} like
 * every refused admin command. {@link #needsCopy()} is true when only a full copy can bring the
 * secondary back (the message then contains {@value Standby#NEEDS_COPY}).
 */
public final class StandbyException extends IllegalArgumentException
{
   private final boolean needsCopy;

   StandbyException(String message, boolean needsCopy)
   {
      super(message);
      this.needsCopy = needsCopy;
   }

   public boolean needsCopy()
   {
      return needsCopy;
   }
}
