#include "agent/bearer_auth.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::TempDir;

constexpr const char* kFirst = "0123456789abcdef0123456789abcdef";
constexpr const char* kSecond = "rotated-token_with.all+allowed/chars=";

TEST(BearerAuthTest, AFileOfTokensAllowsEachAndNothingElse) {
  TempDir dir;
  testing::write_file(dir / "tokens",
                      std::string("# the current one\n  ") + kFirst + "  \n\n" + kSecond + "\r\n");
  auto tokens = BearerTokens::load(dir / "tokens");
  ASSERT_TRUE(tokens) << tokens.error().message;
  EXPECT_TRUE(tokens->required());
  EXPECT_TRUE(tokens->allows(std::string("Bearer ") + kFirst));
  EXPECT_TRUE(tokens->allows(std::string("bearer  ") + kSecond));
  EXPECT_FALSE(tokens->allows(std::nullopt));
  EXPECT_FALSE(tokens->allows(""));
  EXPECT_FALSE(tokens->allows(kFirst)) << "the scheme is required";
  EXPECT_FALSE(tokens->allows(std::string("Basic ") + kFirst));
  EXPECT_FALSE(tokens->allows("Bearer "));
  const std::string first = kFirst;
  EXPECT_FALSE(tokens->allows("Bearer " + first.substr(0, first.size() - 1))) << "a prefix";
  EXPECT_FALSE(tokens->allows("Bearer " + first + "0")) << "a longer one";
  EXPECT_FALSE(tokens->allows("Bearer " + first.substr(0, 31) + "g")) << "the last byte differs";
  EXPECT_EQ(tokens->first(), kFirst);
}

TEST(BearerAuthTest, ABadFileIsAnErrorThatNamesTheLineButNeverTheToken) {
  TempDir dir;
  testing::write_file(dir / "short", "# ok\nshort-secret\n");
  auto short_token = BearerTokens::load(dir / "short");
  ASSERT_FALSE(short_token);
  EXPECT_NE(short_token.error().message.find("short:2: a token of 12 characters"),
            std::string::npos)
      << short_token.error().message;
  EXPECT_EQ(short_token.error().message.find("short-secret"), std::string::npos);

  testing::write_file(dir / "spaces", "two words in one token line\n");
  auto spaces = BearerTokens::load(dir / "spaces");
  ASSERT_FALSE(spaces);
  EXPECT_NE(spaces.error().message.find("spaces:1: a token may use only"), std::string::npos);
  EXPECT_EQ(spaces.error().message.find("words"), std::string::npos);

  testing::write_file(dir / "empty", "# nothing yet\n\n");
  EXPECT_FALSE(BearerTokens::load(dir / "empty"));
  auto missing = BearerTokens::load(dir / "missing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read the token file"), std::string::npos);
}

TEST(BearerAuthTest, OnlyListenersOtherHostsCanReachNeedTokens) {
  EXPECT_TRUE(is_loopback_listen("127.0.0.1:8088"));
  EXPECT_TRUE(is_loopback_listen("127.1.2.3:0"));
  EXPECT_TRUE(is_loopback_listen("localhost:80"));
  EXPECT_FALSE(is_loopback_listen("0.0.0.0:8088"));
  EXPECT_FALSE(is_loopback_listen("10.0.0.5:8088"));
  EXPECT_FALSE(is_loopback_listen(":8088"));

  auto loopback = tokens_for_listener("127.0.0.1:8088", "", "auth_token_file");
  ASSERT_TRUE(loopback);
  EXPECT_FALSE(loopback->required());
  EXPECT_TRUE(loopback->allows(std::nullopt));
  auto open = tokens_for_listener("0.0.0.0:8088", "", "auth_token_file");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().message,
            "0.0.0.0:8088 can be reached from other hosts: set auth_token_file to a file of "
            "bearer tokens (one per line, readable only by drover), or listen on 127.0.0.1");
}

}  // namespace
}  // namespace drover
