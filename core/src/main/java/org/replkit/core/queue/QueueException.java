package org.replkit.core.queue;

/** The stable queue's storage failed: the server cannot go on without it. */
public class QueueException extends RuntimeException
{
   public QueueException(String message, Throwable cause)
   {
      super(message, cause);
   }
}
