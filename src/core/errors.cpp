#include "latent/errors.h"

namespace latent {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const Cancelled&) {
    throw;
  } catch (const IoError& e) {
    throw IoError(context + ": " + e.what());
  } catch (const FormatError& e) {
    throw FormatError(context + ": " + e.what());
  } catch (const UnsupportedError& e) {
    throw UnsupportedError(context + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(context + ": out of memory");
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace latent
