// <blockhub/client.h>: the installed entry point of the blockhub client library. Gives the whole
// client API (blockhub::ClientOptions, ClientOptionsBuilder, Client, Status/Result) exactly as the
// in-tree "client/client.h", plus the library version (BLOCKHUB_VERSION_STRING). Link
// blockhub::client (CMake) or `pkg-config --libs blockhub`. Thread-safety: see client/client.h.
#pragma once

#include "blockhub/client/client.h"
#include "blockhub/common/version.h"
