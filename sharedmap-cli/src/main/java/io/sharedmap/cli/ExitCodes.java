package io.sharedmap.cli;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.InvalidRequestException;
import io.sharedmap.client.LimitExceededException;
import io.sharedmap.client.NotSupportedByBackendException;
import io.sharedmap.client.PermissionDeniedException;
import io.sharedmap.client.QuotaExceededException;
import io.sharedmap.client.SharedMapException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The CLI's exit codes, and the one place where exceptions become exit codes (and messages on
 * stderr). The root command's help lists the codes.
 */
final class ExitCodes implements IExitCodeExceptionMapper, IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int OK = 0;
    /** get, del, cas: the key was not found, or the expected version did not match. */
    static final int NOT_FOUND_OR_CONFLICT = 1;
    /** Bad command line or parameter value. */
    static final int USAGE = 2;
    /** No daemon answers on the socket, or it did not answer within the reply timeout. */
    static final int NO_DAEMON = 3;
    /** The daemon refused the request (a limit, an invalid argument). */
    static final int REFUSED = 4;
    /** The daemon, its storage, or I/O failed. */
    static final int FAILURE = 5;
    /** start or stop did not succeed. */
    static final int LIFECYCLE = 6;

    /** The exit code for an exception that ended a command. */
    static int of(Throwable t) {
        return switch (t) {
            case CliException e -> e.exitCode();
            case ParameterException e -> USAGE;
            case DaemonUnavailableException e -> NO_DAEMON;
            case LimitExceededException e -> REFUSED;
            case InvalidRequestException e -> REFUSED;
            case PermissionDeniedException e -> REFUSED;
            case QuotaExceededException e -> REFUSED;
            case NotSupportedByBackendException e -> REFUSED;
            case SharedMapException e -> FAILURE; // ServerFailureException, ProtocolViolationException
            case IOException e -> FAILURE;
            case UncheckedIOException e -> FAILURE;
            default -> FAILURE;
        };
    }

    @Override
    public int getExitCode(Throwable t) {
        return of(t);
    }

    /**
     * A bad command line: the error (and picocli's "did you mean" suggestions, if any) and where the
     * usage is, not the whole usage, which would bury the error under dozens of lines.
     */
    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("see '" + name + " --help'");
        err.flush();
        return of(e);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parseResult) {
        String name = cmd.getCommandSpec().qualifiedName();
        boolean explained = e instanceof CliException
                || e instanceof SharedMapException
                || e instanceof NotSupportedByBackendException
                || e instanceof IOException
                || e instanceof UncheckedIOException;
        if (explained) {
            cmd.getErr().println(name + ": " + e.getMessage());
        } else {
            cmd.getErr().println(name + ": unexpected error: " + e);
            e.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return of(e);
    }
}
