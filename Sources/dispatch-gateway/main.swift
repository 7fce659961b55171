import DispatchGateway
import DispatchPosix
import Glibc

exit(GatewayMain.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessEnvironment.current()))
