package org.replkit.core.apply;

import java.sql.SQLException;

/** A record could not be applied because the replicate differs from the primary before the change. */
public class ApplyException extends SQLException
{
   public ApplyException(String message, Throwable cause)
   {
      super(message, "40R01", cause);
   }
}
