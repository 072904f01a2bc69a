package org.replkit.agent;

import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import org.replkit.agent.bootstrap.Bridge;

/**
 * Inlined at the end of {@code Driver.connect(String, Properties)}: hands the connection about to be
 * returned, with the URL, to the {@link Bridge}. Exit advice without {@code onThrowable}, so a failing
 * connect keeps its SQLException untouched; {@code suppress} keeps any failure of the advice itself out
 * of the application's call.
 */
final class ConnectAdvice
{
   private ConnectAdvice()
   {
   }

   @Advice.OnMethodExit(suppress = Throwable.class)
   static void exit(@Advice.Argument(0) String url,
                    @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object connection)
   {
      connection = Bridge.onConnect(connection, url);
   }
}
