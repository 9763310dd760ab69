package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ErrorCodec;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one mapping from error codes to exception types. */
class ErrorsTest {

    @Test
    void forCode_everyCode_mapsToItsExceptionType() {
        Map<ErrorCode, Class<? extends SharedMapException>> expected = new EnumMap<>(ErrorCode.class);
        expected.put(ErrorCode.KEY_TOO_LONG, LimitExceededException.class);
        expected.put(ErrorCode.VALUE_TOO_LARGE, LimitExceededException.class);
        expected.put(ErrorCode.KEY_EMPTY, InvalidRequestException.class);
        expected.put(ErrorCode.INVALID_ARGUMENT, InvalidRequestException.class);
        expected.put(ErrorCode.STORAGE_FAILURE, ServerFailureException.class);
        expected.put(ErrorCode.INTERNAL, ServerFailureException.class);
        expected.put(ErrorCode.SHUTTING_DOWN, ServerFailureException.class);
        expected.put(ErrorCode.TOO_MANY_CONNECTIONS, ServerFailureException.class);
        expected.put(ErrorCode.SEQUENCE_EXPIRED, ServerFailureException.class);
        expected.put(ErrorCode.PERMISSION_DENIED, PermissionDeniedException.class);
        expected.put(ErrorCode.QUOTA_EXCEEDED, QuotaExceededException.class);
        expected.put(ErrorCode.UNKNOWN_OPCODE, ProtocolViolationException.class);
        expected.put(ErrorCode.MALFORMED_FRAME, ProtocolViolationException.class);
        expected.put(ErrorCode.BAD_HANDSHAKE, ProtocolViolationException.class);
        expected.put(ErrorCode.UNSUPPORTED_VERSION, ProtocolViolationException.class);
        assertThat(expected.keySet()).containsExactlyInAnyOrder(ErrorCode.values());

        expected.forEach((code, type) -> {
            SharedMapException e = Errors.forCode(code, "daemon says " + code);
            assertThat(e).as("%s", code).isExactlyInstanceOf(type).hasMessage("daemon says " + code);
            assertThat(e.errorCode()).contains(code);
        });
    }

    @Test
    void forReply_unknownCode_protocolViolationNamingIt() {
        byte[] payload = {0x01, 0x00, 'x'}; // code 256
        SharedMapException e = Errors.forReply(ErrorCodec.decode(payload));

        assertThat(e).isInstanceOf(ProtocolViolationException.class).hasMessageContaining("256");
        assertThat(e.errorCode()).isEmpty();
    }
}
