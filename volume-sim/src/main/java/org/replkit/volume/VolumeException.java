package org.replkit.volume;

/**
 * A volume or snapshot operation was refused or failed. The message says what is wrong and, where the caller can fix
 * it, what to do; a refused operation has changed nothing.
 */
public class VolumeException extends RuntimeException {
   private static final long serialVersionUID = 1L;

   public VolumeException(String message) {
      super(message);
   }

   public VolumeException(String message, Throwable cause) {
      super(message, cause);
   }
}
